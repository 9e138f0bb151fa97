#include "ui/main/MainWindow.h"

#include "core/common/Paths.h"
#include "core/common/Version.h"
#include "ui/main/DemoProject.h"
#include "ui/models/DatasetSummary.h"
#include "ui/models/ProjectFile.h"
#include "ui/pages/BackbonePage.h"
#include "ui/pages/DataPage.h"
#include "ui/pages/PlaceholderPage.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDeadlineTimer>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QThread>

namespace ts::ui {
namespace {

constexpr int kMaxRecentProjects = 8;
const char* const kGeometryKey = "window/geometry";
const char* const kStateKey = "window/state";
const char* const kStepKey = "window/step";
const char* const kRecentKey = "recentProjects";

} // namespace

QString MainWindow::stepKey(int step) {
    static const char* const keys[] = {"data", "backbone", "layers", "training", "train", "inspect", "export"};
    return step >= 0 && step < StepCount ? QString::fromLatin1(keys[step]) : QString();
}

QString MainWindow::stepTitle(int step) {
    switch (step) {
    case DataStep: return tr("Data");
    case BackboneStep: return tr("Backbone");
    case LayersStep: return tr("Layers");
    case TrainingStep: return tr("Training");
    case TrainStep: return tr("Train");
    case InspectStep: return tr("Inspect");
    case ExportStep: return tr("Export");
    default: return {};
    }
}

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowIcon(QIcon(QStringLiteral(":/transfer-studio/icon.png")));

    auto* central = new QWidget(this);
    auto* centralLayout = new QHBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(0);
    m_sidebar = new QListWidget(central);
    m_sidebar->setObjectName(QStringLiteral("stepList"));
    m_sidebar->setSelectionMode(QAbstractItemView::SingleSelection);
    m_sidebar->setSpacing(2);
    QFont sideFont = m_sidebar->font();
    sideFont.setPointSizeF(sideFont.pointSizeF() * 1.15);
    m_sidebar->setFont(sideFont);
    m_stack = new QStackedWidget(central);
    m_stack->setObjectName(QStringLiteral("pages"));

    m_dataPage = new DataPage(m_stack);
    m_backbonePage = new BackbonePage(m_stack);
    const QString layers = tr("Decide which parts of the backbone learn.");
    const QString training = tr("Set how the model learns.");
    const QString train = tr("Run the training and watch it.");
    const QString inspect = tr("See what the trained model does, and why.");
    const QString exportText = tr("Take the model out of Transfer Studio.");
    QWidget* pages[StepCount] = {
        m_dataPage,
        m_backbonePage,
        new PlaceholderPage(stepTitle(LayersStep), layers,
                            tr("a freeze map on the chosen backbone's stages: feature extraction (only the new head "
                               "trains), fine-tuning the last blocks, or training everything; the new head's size and "
                               "dropout. Frozen BatchNorm layers stay in eval mode, and the page says so."),
                            m_stack),
        new PlaceholderPage(stepTitle(TrainingStep), training,
                            tr("optimizer, learning rate and schedule (with a learning-rate finder), epochs, batch "
                               "size, augmentation presets with a live preview, class weights for imbalanced data, "
                               "and the device (CPU or CUDA)."),
                            m_stack),
        new PlaceholderPage(stepTitle(TrainStep), train,
                            tr("live loss and accuracy curves per batch and per epoch, pause, resume and cancel; "
                               "every run is a folder with its configuration, metrics and atomic checkpoints, and "
                               "can be resumed after a crash."),
                            m_stack),
        new PlaceholderPage(stepTitle(InspectStep), inspect,
                            tr("a confusion matrix that opens the images behind each cell, per-class precision and "
                               "recall, the misclassified images, and views inside the network: filters, feature "
                               "maps, Grad-CAM, saliency and activation maximisation."),
                            m_stack),
        new PlaceholderPage(stepTitle(ExportStep), exportText,
                            tr("export as a Transfer Studio bundle, as ONNX (optionally with the preprocessing in the "
                               "graph) and as a torchvision .pth, each checked against a second runtime on the "
                               "validation set."),
                            m_stack),
    };
    for (int i = 0; i < StepCount; ++i) {
        pages[i]->setObjectName(stepKey(i) + QStringLiteral("Page"));
        m_stack->addWidget(pages[i]);
        auto* item = new QListWidgetItem(QStringLiteral("%1.  %2").arg(i + 1).arg(stepTitle(i)), m_sidebar);
        item->setData(Qt::UserRole, stepKey(i));
        item->setSizeHint(QSize(150, 34));
    }
    m_sidebar->setFixedWidth(170);
    centralLayout->addWidget(m_sidebar);
    centralLayout->addWidget(m_stack, 1);
    setCentralWidget(central);

    m_statusDataset = new QLabel(tr("No dataset"), this);
    statusBar()->addPermanentWidget(m_statusDataset);

    connect(m_sidebar, &QListWidget::currentRowChanged, m_stack, &QStackedWidget::setCurrentIndex);
    connect(m_dataPage, &DataPage::datasetChanged, this, &MainWindow::onDatasetChanged);
    connect(m_dataPage, &DataPage::demoRequested, this, &MainWindow::openDemo);
    connect(m_backbonePage, &BackbonePage::backboneChanged, this,
            [this](const QString& name) { statusBar()->showMessage(tr("Backbone: %1").arg(name), 4000); });

    buildMenus();

    QSettings settings;
    resize(1180, 760);
    restoreGeometry(settings.value(QLatin1String(kGeometryKey)).toByteArray());
    restoreState(settings.value(QLatin1String(kStateKey)).toByteArray());
    setCurrentStep(qBound(0, settings.value(QLatin1String(kStepKey), 0).toInt(), StepCount - 1));
    updateTitle();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New project"), QKeySequence::New, this, &MainWindow::newProject);
    file->addAction(tr("&Open project…"), QKeySequence::Open, this, &MainWindow::openProjectDialog);
    m_recentMenu = file->addMenu(tr("Recent projects"));
    file->addAction(tr("Open &demo project"), this, &MainWindow::openDemo);
    file->addSeparator();
    file->addAction(tr("&Save project"), QKeySequence::Save, this, &MainWindow::saveProject);
    file->addAction(tr("Save project &as…"), QKeySequence::SaveAs, this, &MainWindow::saveProjectAs);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    quit->setMenuRole(QAction::QuitRole);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* about = help->addAction(tr("&About Transfer Studio"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
    updateRecentMenu();
}

int MainWindow::stepCount() const { return m_stack->count(); }
int MainWindow::currentStep() const { return m_stack->currentIndex(); }
QWidget* MainWindow::page(int step) const { return m_stack->widget(step); }

void MainWindow::setCurrentStep(int step) {
    if (step < 0 || step >= m_stack->count()) return;
    m_sidebar->setCurrentRow(step);  // switches the stack through currentRowChanged
    m_stack->setCurrentIndex(step);
}

bool MainWindow::isBusy() const { return m_dataPage->isBusy() || m_backbonePage->isBusy(); }

bool MainWindow::waitUntilIdle(int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    QCoreApplication::processEvents();
    while (isBusy()) {
        if (deadline.hasExpired()) return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(5);
    }
    QCoreApplication::processEvents();  // queued replots, layouts
    return true;
}

QStringList MainWindow::saveScreenshots(const QString& dir, QString* error) {
    QStringList written;
    if (!QDir().mkpath(dir)) {
        if (error) *error = tr("Cannot create the screenshot folder %1.").arg(dir);
        return written;
    }
    const int previous = currentStep();
    // The Backbone page shows more with a model selected.
    if (m_backbonePage->selectedBackbone().isEmpty() && !m_backbonePage->visibleModelNames().isEmpty())
        m_backbonePage->selectBackbone(m_backbonePage->visibleModelNames().first());
    for (int i = 0; i < stepCount(); ++i) {
        setCurrentStep(i);
        if (!waitUntilIdle(60000) && error) *error = tr("Timed out waiting for the %1 page.").arg(stepTitle(i));
        const QString file = QDir(dir).filePath(QStringLiteral("%1-%2.png").arg(i + 1, 2, 10, QLatin1Char('0')).arg(stepKey(i)));
        if (!grab().save(file, "PNG")) {
            if (error) *error = tr("Cannot write the screenshot %1.").arg(file);
            return written;
        }
        written << file;
    }
    setCurrentStep(previous);
    return written;
}

QStringList MainWindow::recentProjects() const {
    return QSettings().value(QLatin1String(kRecentKey)).toStringList();
}

void MainWindow::addRecentProject(const QString& path) {
    QStringList recent = recentProjects();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    while (recent.size() > kMaxRecentProjects) recent.removeLast();
    QSettings().setValue(QLatin1String(kRecentKey), recent);
    updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = recentProjects();
    for (const QString& path : recent) {
        QAction* action = m_recentMenu->addAction(QDir::toNativeSeparators(path));
        connect(action, &QAction::triggered, this, [this, path] { openPath(path); });
    }
    if (recent.isEmpty()) m_recentMenu->addAction(tr("(none)"))->setEnabled(false);
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("Clear list"), this, [this] {
        QSettings().remove(QLatin1String(kRecentKey));
        updateRecentMenu();
    });
}

void MainWindow::updateTitle() {
    const QString name = m_projectPath.isEmpty() ? tr("Untitled project") : QFileInfo(m_projectPath).completeBaseName();
    setWindowTitle(tr("%1 – Transfer Studio").arg(name));
}

bool MainWindow::openDemo() {
    QString error;
    const QString folder = ensureDemoDataset(&error);
    if (folder.isEmpty()) {
        QMessageBox::warning(this, tr("Demo project"), error);
        return false;
    }
    newProject();
    m_dataPage->setFolder(folder);
    m_backbonePage->selectBackbone(QStringLiteral("tiny_cnn"));
    setCurrentStep(DataStep);
    return true;
}

bool MainWindow::openPath(const QString& path) {
    const QFileInfo info(path);
    if (info.isDir()) {
        newProject();
        m_dataPage->setFolder(info.absoluteFilePath());
        setCurrentStep(DataStep);
        return true;
    }
    ProjectFile project;
    QString error;
    if (!project.load(path, &error)) {
        QMessageBox::warning(this, tr("Open project"), error);
        return false;
    }
    m_projectPath = info.absoluteFilePath();
    if (!project.datasetFolder.isEmpty()) m_dataPage->setFolder(project.datasetFolder);
    if (!project.backbone.isEmpty()) m_backbonePage->selectBackbone(project.backbone);
    addRecentProject(m_projectPath);
    updateTitle();
    setCurrentStep(DataStep);
    return true;
}

void MainWindow::newProject() {
    m_projectPath.clear();
    updateTitle();
    setCurrentStep(DataStep);
}

void MainWindow::openProjectDialog() {
    const QString projects = QString::fromStdString(paths::projectsDir());
    const QString path = QFileDialog::getOpenFileName(this, tr("Open project"), projects, projectFileFilter());
    if (!path.isEmpty()) openPath(path);
}

bool MainWindow::saveProject() {
    if (m_projectPath.isEmpty()) return saveProjectAs();
    ProjectFile project;
    project.datasetFolder = m_dataPage->folder();
    project.backbone = m_backbonePage->selectedBackbone();
    QString error;
    if (!project.save(m_projectPath, &error)) {
        QMessageBox::warning(this, tr("Save project"), error);
        return false;
    }
    addRecentProject(m_projectPath);
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(m_projectPath)), 4000);
    return true;
}

bool MainWindow::saveProjectAs() {
    const QString projects = QString::fromStdString(paths::projectsDir());
    QDir().mkpath(projects);
    QString path = QFileDialog::getSaveFileName(this, tr("Save project"), projects + QStringLiteral("/untitled.tsproj"),
                                                projectFileFilter());
    if (path.isEmpty()) return false;
    if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".tsproj");
    m_projectPath = path;
    updateTitle();
    return saveProject();
}

void MainWindow::showAbout() {
    const QString report = QString::fromStdString(versionReport("transfer-studio")).trimmed();
    QMessageBox box(this);
    box.setWindowTitle(tr("About Transfer Studio"));
    box.setIconPixmap(QPixmap(QStringLiteral(":/transfer-studio/icon.png"))
                          .scaled(96, 96, Qt::KeepAspectRatio, Qt::SmoothTransformation));
    box.setText(tr("<h3>Transfer Studio %1</h3><p>Transfer learning on images: pick a pretrained CNN, train it on "
                   "your folders, look inside, export.</p>")
                    .arg(QString::fromStdString(appVersion())));
    box.setInformativeText(QStringLiteral("<pre>%1</pre>").arg(report.toHtmlEscaped()));
    box.exec();
}

void MainWindow::onDatasetChanged(const DatasetSummary& summary) {
    if (summary.isValid())
        m_statusDataset->setText(tr("%1: %n class(es), %2 images", nullptr, int(summary.classes.size()))
                                     .arg(QFileInfo(summary.root).fileName())
                                     .arg(summary.totalImages()));
    else
        m_statusDataset->setText(tr("No usable dataset"));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue(QLatin1String(kGeometryKey), saveGeometry());
    settings.setValue(QLatin1String(kStateKey), saveState());
    settings.setValue(QLatin1String(kStepKey), currentStep());
    QMainWindow::closeEvent(event);
}

} // namespace ts::ui
