#include "ui/main/MainWindow.h"
#include "ui/main/ProjectController.h"
#include "ui/main/ScreenshotTour.h"
#include "ui/models/ProjectSession.h"

#include "core/common/Version.h"
#include "ui/main/Application.h"
#include "ui/models/DatasetSummary.h"
#include "ui/pages/BackbonePage.h"
#include "ui/pages/DataPage.h"
#include "ui/pages/ExperimentsPage.h"
#include "ui/pages/ExportPage.h"
#include "ui/pages/InspectPage.h"
#include "ui/pages/LayersPage.h"
#include "ui/pages/TrainPage.h"
#include "ui/pages/TrainingPage.h"
#include "ui/widgets/ErrorDialog.h"
#include "ui/widgets/Fitting.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDeadlineTimer>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QMimeData>
#include <QUrl>
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

const char* const kGeometryKey = "window/geometry";
const char* const kStateKey = "window/state";
const char* const kStepKey = "window/step";
const char* const kTrainingKey = "wizard/trainingSettings";

} // namespace

QString MainWindow::stepKey(int step) {
    static const char* const keys[] = {"data", "backbone", "layers", "training", "train", "experiments", "inspect", "export"};
    return step >= 0 && step < StepCount ? QString::fromLatin1(keys[step]) : QString();
}

QString MainWindow::stepTitle(int step) {
    switch (step) {
    case DataStep: return tr("Data");
    case BackboneStep: return tr("Backbone");
    case LayersStep: return tr("Layers");
    case TrainingStep: return tr("Training");
    case TrainStep: return tr("Train");
    case ExperimentsStep: return tr("Experiments");
    case InspectStep: return tr("Inspect");
    case ExportStep: return tr("Export");
    default: return {};
    }
}

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), m_session(new ProjectSession(this)) {
    installWheelGuard();  // before the pages exist: their fields are polished with it
    setWindowIcon(applicationIcon());  // every standard size (see Application.h)

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
    m_layersPage = new LayersPage(*m_session, m_stack);
    m_trainingPage = new TrainingPage(*m_session, m_stack);
    m_trainPage = new TrainPage(*m_session, m_stack);
    m_experimentsPage = new ExperimentsPage(*m_session, m_stack);
    m_experimentsPage->setRunsRootProvider([this] { return m_trainPage->runsRoot(); });
    m_experimentsPage->setBusyCheck([this] {
        return m_trainPage->isRunning()
                   ? tr("A training is running on the Train page: let it finish or stop it before an experiment.")
                   : QString();
    });
    m_trainPage->setBusyCheck([this] {
        return m_experimentsPage->isRunning()
                   ? tr("An experiment is running on the Experiments page: let it finish or stop it before a training.")
                   : QString();
    });
    m_inspectPage = new InspectPage(m_stack);
    m_exportPage = new ExportPage(m_stack);
    QWidget* pages[StepCount] = {m_dataPage, m_backbonePage, m_layersPage, m_trainingPage,
                                 m_trainPage, m_experimentsPage, m_inspectPage, m_exportPage};
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
    m_statusDataset->setObjectName(QStringLiteral("datasetStatus"));
    m_statusDataset->setMaximumWidth(420);  // a long folder name is elided (full text in the tooltip)
    statusBar()->addPermanentWidget(m_statusDataset);

    // The pages are views over the session; the window only shows what happened.
    m_dataPage->setSession(m_session);
    m_backbonePage->setSession(m_session);
    m_projects = new ProjectController(*this, *m_session);
    connect(m_sidebar, &QListWidget::currentRowChanged, this, &MainWindow::onStepChanged);
    connect(m_dataPage, &DataPage::demoRequested, this, &MainWindow::openDemo);
    connect(m_session, &ProjectSession::datasetChanged, this, &MainWindow::updateDatasetStatus);
    connect(m_backbonePage, &BackbonePage::backboneChanged, this,
            [this](const QString& name) { statusBar()->showMessage(tr("Backbone: %1").arg(name), 4000); });
    // A download or an import changes what the weights notes and the Start button say.
    connect(m_backbonePage, &BackbonePage::weightsCached, m_layersPage, &LayersPage::refreshWeightsNote);
    connect(m_backbonePage, &BackbonePage::weightsCached, m_trainPage, &TrainPage::updateReadiness);
    connect(m_trainPage, &TrainPage::runFinished, m_projects, &ProjectController::showFinishedRun);
    // A run chosen in the runs table opens as File > Open run does.
    connect(m_experimentsPage, &ExperimentsPage::inspectRequested, this, [this](const QString& dir) {
        QString error;
        if (!m_projects->openRunOrBundle(dir, &error)) showErrorDialog(this, tr("Open in Inspect"), {error, error});
    });
    connect(m_experimentsPage, &ExperimentsPage::exportRequested, this, [this](const QString& dir) {
        QString error;
        if (m_projects->openRunOrBundle(dir, &error)) setCurrentStep(ExportStep);
        else showErrorDialog(this, tr("Export"), {error, error});
    });
    connect(m_trainPage, &TrainPage::runFinished, m_experimentsPage, &ExperimentsPage::refreshRuns);
    connect(m_experimentsPage, &ExperimentsPage::experimentStarted, this, [this](const QString& dir) {
        statusBar()->showMessage(tr("Experiment into %1").arg(QDir::toNativeSeparators(dir)));
    });
    connect(m_experimentsPage, &ExperimentsPage::experimentEnded, this, [this](const QString& dir) {
        statusBar()->showMessage(tr("Experiment ended: %1").arg(QDir::toNativeSeparators(dir)), 8000);
    });
    connect(m_trainPage, &TrainPage::runStarted, this,
            [this](const QString& dir) { statusBar()->showMessage(tr("Training into %1").arg(QDir::toNativeSeparators(dir))); });
    connect(m_trainingPage, &TrainingPage::errorOccurred, this,
            [this](const TaskError& error) { showErrorDialog(this, tr("Learning-rate finder"), error); });
    connect(m_projects, &ProjectController::recentChanged, this, &MainWindow::updateRecentMenu);
    connect(m_session, &ProjectSession::projectPathChanged, this, &MainWindow::updateTitle);

    buildMenus();
    setAcceptDrops(true);

    QSettings settings;
    resize(1180, 760);
    restoreGeometry(settings.value(QLatin1String(kGeometryKey)).toByteArray());
    restoreState(settings.value(QLatin1String(kStateKey)).toByteArray());
    // Training settings belong to the project (the .tsproj file), not to the
    // computer: a new project starts from the documented defaults. Older
    // versions kept the last session's settings here; they are dropped.
    settings.remove(QLatin1String(kTrainingKey));
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
    file->addAction(tr("Open &run or bundle…"), m_projects, &ProjectController::openRunDialog);
    file->addAction(tr("Res&ume run…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Resume run"), m_trainPage->runsRoot());
        if (!dir.isEmpty()) resumeRunFolder(dir);
    });
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

bool MainWindow::isBusy() const {
    return m_dataPage->isBusy() || m_backbonePage->isBusy() || m_layersPage->isBusy() ||
           m_trainingPage->isBusy() || m_experimentsPage->isBusy() || m_inspectPage->isBusy() || m_exportPage->isBusy();
}

bool MainWindow::isTraining() const { return m_trainPage->isRunning() || m_experimentsPage->isRunning(); }

train::TrainConfig MainWindow::currentConfig() const { return m_session->config(); }

QString MainWindow::projectPath() const { return m_session->projectPath(); }

void MainWindow::applyDemoSettings(int epochs) { m_projects->applyDemoSettings(epochs); }

bool MainWindow::trainAndWait(int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    if (!waitUntilIdle(timeoutMs)) return false;
    if (!m_trainPage->start()) return false;
    while (m_trainPage->isRunning()) {
        if (deadline.hasExpired()) {
            m_trainPage->stopAndWait();
            return false;
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    if (m_trainPage->bundlePath().isEmpty()) return false;
    return waitUntilIdle(int(qMax<qint64>(1000, deadline.remainingTime())));
}

void MainWindow::onStepChanged(int step) {
    if (m_shownStep == TrainStep && step != TrainStep && m_trainPage->isRunning() &&
        confirmStopTraining(tr("Training is running. Stop it before leaving the Train page?\n\n"
                               "No keeps it running in the background."))) {
        m_trainPage->stopAndWait();
    }
    m_shownStep = step;
    m_stack->setCurrentIndex(step);
    if (step == TrainingStep) m_trainingPage->updatePreviews();
}

bool MainWindow::confirmStopTraining(const QString& question) {
    if (m_confirmStop) return m_confirmStop(question);
    return QMessageBox::question(this, tr("Training is running"), question, QMessageBox::Yes | QMessageBox::No,
                                 QMessageBox::No) == QMessageBox::Yes;
}

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

QStringList MainWindow::saveScreenshots(const QString& dir, QString* error) { return ScreenshotTour(*this).run(dir, error); }

QStringList MainWindow::recentProjects() const { return m_projects->recentProjects(); }

void MainWindow::updateRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = recentProjects();
    for (const QString& path : recent) {
        QAction* action = m_recentMenu->addAction(QDir::toNativeSeparators(path));
        connect(action, &QAction::triggered, this, [this, path] { openPath(path); });
    }
    if (recent.isEmpty()) m_recentMenu->addAction(tr("(none)"))->setEnabled(false);
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("Clear list"), m_projects, &ProjectController::clearRecent);
}

void MainWindow::updateTitle() {
    const QString name = m_session->projectPath().isEmpty() ? tr("Untitled project") : QFileInfo(m_session->projectPath()).completeBaseName();
    setWindowTitle(tr("%1 – Transfer Studio").arg(name));
}

bool MainWindow::openDemo() { return m_projects->openDemo(); }
bool MainWindow::openPath(const QString& path) { return m_projects->openPath(path); }
void MainWindow::newProject() { m_projects->newProject(); }
bool MainWindow::openRunOrBundle(const QString& path, QString* error) { return m_projects->openRunOrBundle(path, error); }
void MainWindow::openRunDialog() { m_projects->openRunDialog(); }
bool MainWindow::resumeRunFolder(const QString& runDir, QString* error) { return m_projects->resumeRunFolder(runDir, error); }
void MainWindow::openProjectDialog() { m_projects->openDialog(); }

bool MainWindow::saveProjectTo(const QString& path, QString* error) { return m_projects->saveTo(path, error); }
bool MainWindow::saveProject() { return m_projects->save(); }
bool MainWindow::saveProjectAs() { return m_projects->saveAs(); }

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

void MainWindow::updateDatasetStatus() {
    const DatasetSummary& summary = m_session->dataset();
    const QString status = summary.isValid() ? tr("%1: %n class(es), %2 images", nullptr, int(summary.classes.size()))
                                                   .arg(QFileInfo(summary.root).fileName())
                                                   .arg(summary.totalImages())
                                             : tr("No usable dataset");
    m_statusDataset->setToolTip(status);
    m_statusDataset->setText(m_statusDataset->fontMetrics().elidedText(status, Qt::ElideMiddle, 400));
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    const QMimeData* mime = event->mimeData();
    if (!mime || !mime->hasUrls()) return;
    for (const QUrl& url : mime->urls())
        if (url.isLocalFile()) {
            event->acceptProposedAction();
            return;
        }
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QMimeData* mime = event->mimeData();
    QString path;
    if (mime && mime->hasUrls())
        for (const QUrl& url : mime->urls())
            if (url.isLocalFile()) {
                path = url.toLocalFile();
                break;
            }
    if (path.isEmpty()) {
        statusBar()->showMessage(tr("Only folders on this computer can be dropped here."), 8000);
        return;
    }
    const QFileInfo info(path);
    if (info.isDir()) {
        event->acceptProposedAction();
        setCurrentStep(DataStep);
        m_dataPage->setFolder(info.absoluteFilePath());
        statusBar()->showMessage(tr("Dataset folder: %1").arg(QDir::toNativeSeparators(info.absoluteFilePath())), 4000);
        return;
    }
    if (info.isFile() && info.suffix().compare(QLatin1String("tsproj"), Qt::CaseInsensitive) == 0) {
        event->acceptProposedAction();
        openPath(info.absoluteFilePath());
        return;
    }
    statusBar()->showMessage(
        info.exists()
            ? tr("%1 is a file, not a folder. Drop a dataset folder (one sub-folder per class) to use it; images to "
                 "classify go onto the Inspect page.").arg(info.fileName())
            : tr("%1 does not exist.").arg(QDir::toNativeSeparators(path)),
        10000);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_trainPage->isRunning()) {
        if (!confirmStopTraining(tr("Training is running. Stop it and close Transfer Studio?"))) {
            event->ignore();
            return;
        }
        m_trainPage->stopAndWait();
    }
    if (m_experimentsPage->isRunning()) {
        if (!confirmStopTraining(tr("An experiment is running. Stop it and close Transfer Studio?\n\n"
                                    "It can be resumed later: the Experiments page offers Resume."))) {
            event->ignore();
            return;
        }
        m_experimentsPage->stopAndWait();
    }
    m_trainingPage->cancelLrFinder();
    QSettings settings;
    settings.setValue(QLatin1String(kGeometryKey), saveGeometry());
    settings.setValue(QLatin1String(kStateKey), saveState());
    settings.setValue(QLatin1String(kStepKey), currentStep());
    QMainWindow::closeEvent(event);
}

} // namespace ts::ui
