#include "ui/main/ProjectController.h"

#include "core/common/Paths.h"
#include "ui/main/DemoProject.h"
#include "ui/main/MainWindow.h"
#include "ui/models/ProjectFile.h"
#include "ui/models/ProjectSession.h"
#include "ui/models/RunReader.h"
#include "ui/pages/BackbonePage.h"
#include "ui/pages/DataPage.h"
#include "ui/pages/ExportPage.h"
#include "ui/pages/InspectPage.h"
#include "ui/pages/LayersPage.h"
#include "ui/pages/TrainPage.h"
#include "ui/widgets/ErrorDialog.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QJsonArray>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>

namespace ts::ui {
namespace {

const char* const kRecentKey = "recentProjects";

} // namespace

ProjectController::ProjectController(MainWindow& window, ProjectSession& session)
    : QObject(&window), m_window(window), m_session(session) {
    connect(&m_session, &ProjectSession::datasetChanged, this, &ProjectController::onDatasetChanged);
}

bool ProjectController::open(const QString& path) {
    const QFileInfo info(path);
    ProjectFile project;
    QString error;
    if (!project.load(path, &error)) {
        // Non-blocking (open(), not exec()): the window stays as it was.
        showErrorDialog(&m_window, tr("Open project"), TaskError{error, QString()});
        return false;
    }
    m_session.loadProjectFile(project, info.absoluteFilePath());
    const train::TrainConfig config = m_session.config();
    if (project.hasFullConfig) m_window.dataPage()->applySessionSplit();
    if (!config.dataDir.empty()) m_window.dataPage()->setFolder(QString::fromStdString(config.dataDir));
    QStringList excluded;
    if (project.hasFullConfig)
        for (const std::string& file : config.excludeFiles) excluded << QString::fromStdString(file);
    m_window.dataPage()->setExcludedFiles(excluded);
    if (project.hasBackbone && !config.arch.empty())
        m_window.backbonePage()->selectBackbone(QString::fromStdString(config.arch));
    if (project.hasFullConfig) {
        m_window.trainPage()->clearPinnedProbes();
        for (const QJsonValue& file : project.ui.value(QStringLiteral("pinnedProbes")).toArray())
            m_window.trainPage()->pinProbe(file.toString());
    }
    addRecent(m_session.projectPath());
    m_window.setCurrentStep(savedStep(project.ui));
    return true;
}

int ProjectController::savedStep(const QJsonObject& ui) {
    // By name ("step_key"); files written before the Experiments step (step 6)
    // existed have only the number, in the seven-step order.
    const QString key = ui.value(QStringLiteral("step_key")).toString();
    for (int i = 0; i < MainWindow::StepCount; ++i)
        if (!key.isEmpty() && MainWindow::stepKey(i) == key) return i;
    if (!ui.contains(QStringLiteral("step"))) return MainWindow::DataStep;
    int step = ui.value(QStringLiteral("step")).toInt();
    if (key.isEmpty() && step >= MainWindow::ExperimentsStep) ++step;
    return qBound(0, step, MainWindow::StepCount - 1);
}

bool ProjectController::saveTo(const QString& path, QString* error) {
    QJsonObject ui;
    ui.insert(QStringLiteral("step"), m_window.currentStep());
    ui.insert(QStringLiteral("step_key"), MainWindow::stepKey(m_window.currentStep()));
    ui.insert(QStringLiteral("pinnedProbes"), QJsonArray::fromStringList(m_window.trainPage()->pinnedProbes()));
    return m_session.toProjectFile(ui).save(path, error);
}

bool ProjectController::save() {
    if (m_session.projectPath().isEmpty()) return saveAs();
    QString error;
    if (!saveTo(m_session.projectPath(), &error)) {
        QMessageBox::warning(&m_window, tr("Save project"), error);
        return false;
    }
    addRecent(m_session.projectPath());
    m_window.statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(m_session.projectPath())), 4000);
    return true;
}

bool ProjectController::saveAs() {
    const QString projects = QString::fromStdString(paths::projectsDir());
    QDir().mkpath(projects);
    QString path = QFileDialog::getSaveFileName(&m_window, tr("Save project"), projects + QStringLiteral("/untitled.tsproj"),
                                                projectFileFilter());
    if (path.isEmpty()) return false;
    if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".tsproj");
    m_session.setProjectPath(path);
    return save();
}

void ProjectController::openDialog() {
    const QString projects = QString::fromStdString(paths::projectsDir());
    const QString path = QFileDialog::getOpenFileName(&m_window, tr("Open project"), projects, projectFileFilter());
    if (!path.isEmpty()) open(path);
}

void ProjectController::newProject() {
    m_session.setProjectPath({});
    m_settingsFolder.clear();
    m_session.resetTrainingSettings();
    m_session.setExclusions({});
    m_window.setCurrentStep(MainWindow::DataStep);
}

bool ProjectController::openPath(const QString& path) {
    const QFileInfo info(path);
    if (info.isDir()) {
        newProject();
        m_window.dataPage()->setFolder(info.absoluteFilePath());
        m_window.setCurrentStep(MainWindow::DataStep);
        return true;
    }
    return open(path);
}

bool ProjectController::openDemo() {
    QString error;
    const QString folder = ensureDemoDataset(&error);
    if (folder.isEmpty()) {
        QMessageBox::warning(&m_window, tr("Demo project"), error);
        return false;
    }
    newProject();
    m_window.dataPage()->setFolder(folder);
    applyDemoSettings(5);
    m_window.setCurrentStep(MainWindow::DataStep);
    return true;
}

void ProjectController::applyDemoSettings(int epochs) {
    m_window.backbonePage()->selectBackbone(QStringLiteral("tiny_cnn"));
    m_window.layersPage()->setWeightsSource(LayersPage::RandomInit);
    m_window.layersPage()->setPreset(LayersPage::TrainEverything);
    m_session.editConfig([epochs](train::TrainConfig& c) {
        c.epochs = epochs;
        c.batchSize = 16;
        c.lr = 3e-3;
        c.augment = {};
    });
}

void ProjectController::onDatasetChanged() {
    // Another dataset in an unsaved project (the demo, then your own folder):
    // the settings made for the first do not carry over to it.
    const QString folder = m_session.dataset().root;
    if (folder.isEmpty() || folder == m_settingsFolder) return;
    const bool reset = !m_settingsFolder.isEmpty() && m_session.projectPath().isEmpty();
    m_settingsFolder = folder;
    if (!reset) return;
    m_session.resetTrainingSettings();
    m_window.statusBar()->showMessage(tr("A new dataset: the training settings start from the defaults."), 8000);
}

void ProjectController::showFinishedRun(const QString& runDir, const QString& bundlePath) {
    // The bundle holds the best epoch's model: show that epoch's metrics.
    const auto& epochs = m_window.trainPage()->epochs();
    train::EpochMetrics best = epochs.isEmpty() ? train::EpochMetrics() : epochs.last();
    for (const auto& e : epochs)
        if (e.isBest) best = e;
    // The run's own classes, dataset and model (a resumed run need not be the session's).
    QStringList classes = m_session.dataset().classes;
    QString dataDir = QString::fromStdString(m_session.config().dataDir);
    QString arch = QString::fromStdString(m_session.config().arch);
    OpenedRun run;
    if (readRunOrBundle(runDir, &run, nullptr)) {
        if (!run.classes.isEmpty()) classes = run.classes;
        if (!run.dataDir.isEmpty()) dataDir = run.dataDir;
        if (!run.arch.isEmpty()) arch = run.arch;
        if (best.confusion.empty()) best = run.best;
        m_window.trainPage()->setResumableRun(run.resumable() ? runDir : QString());
    }
    m_session.setCurrentRun(runDir, bundlePath);
    m_window.inspectPage()->setRun(runDir, bundlePath, classes, best);
    m_window.exportPage()->setRun(runDir, bundlePath, dataDir, arch);
    m_window.statusBar()->showMessage(tr("Training finished: %1").arg(QDir::toNativeSeparators(runDir)), 8000);
}

bool ProjectController::openRunOrBundle(const QString& path, QString* error) {
    OpenedRun run;
    QString message;
    if (!readRunOrBundle(path, &run, &message)) {
        if (error) *error = message;
        else QMessageBox::warning(&m_window, tr("Open run or bundle"), message);
        return false;
    }
    m_window.trainPage()->setResumableRun(run.resumable() ? run.runDir : QString());
    const QString shown = QDir::toNativeSeparators(run.runDir.isEmpty() ? run.bundlePath : run.runDir);
    if (run.bundlePath.isEmpty()) {
        // No complete epoch yet: nothing to inspect, but it can be resumed.
        m_window.setCurrentStep(MainWindow::TrainStep);
        m_window.statusBar()->showMessage(tr("%1 has no complete epoch yet: Resume run continues it.").arg(shown), 10000);
        return true;
    }
    m_session.setCurrentRun(run.runDir, run.bundlePath);
    m_window.inspectPage()->setRun(run.runDir, run.bundlePath, run.classes, run.best);
    m_window.exportPage()->setRun(run.runDir, run.bundlePath, run.dataDir, run.arch);
    m_window.setCurrentStep(MainWindow::InspectStep);
    m_window.statusBar()->showMessage(
        run.resumable() ? tr("Opened %1 (%2 of %3 epochs): Resume run on the Train page continues it.")
                              .arg(shown)
                              .arg(run.epochsDone)
                              .arg(run.epochsPlanned)
                        : tr("Opened %1.").arg(shown),
        10000);
    return true;
}

void ProjectController::openRunDialog() {
    QFileDialog dialog(&m_window, tr("Open run or bundle"), m_window.trainPage()->runsRoot());
    dialog.setFileMode(QFileDialog::ExistingFile);
    dialog.setNameFilters({tr("Model bundles (*.tsb)"), tr("Run configuration (config.json)")});
    dialog.setLabelText(QFileDialog::Accept, tr("Open"));
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty()) return;
    QString path = dialog.selectedFiles().first();
    // A run is opened through its config.json (or model.tsb, the same run).
    const QFileInfo info(path);
    if (info.fileName() == QLatin1String("config.json") ||
        (info.fileName() == QLatin1String("model.tsb") && QFileInfo::exists(info.dir().filePath(QStringLiteral("config.json")))))
        path = info.absolutePath();
    openRunOrBundle(path, nullptr);
}

bool ProjectController::resumeRunFolder(const QString& runDir, QString* error) {
    OpenedRun run;
    QString message;
    if (!readRunOrBundle(runDir, &run, &message) || run.runDir.isEmpty()) {
        if (message.isEmpty()) message = tr("%1 is a bundle, not a run folder: only a run can be resumed.")
                                             .arg(QDir::toNativeSeparators(runDir));
        if (error) *error = message;
        else QMessageBox::warning(&m_window, tr("Resume run"), message);
        return false;
    }
    if (!run.resumable()) {
        message = tr("%1 has trained all its %2 epochs: there is nothing to resume. Open it to inspect or export it.")
                      .arg(QDir::toNativeSeparators(run.runDir))
                      .arg(run.epochsPlanned);
        if (error) *error = message;
        else QMessageBox::information(&m_window, tr("Resume run"), message);
        return false;
    }
    m_window.trainPage()->setResumableRun(run.runDir);
    m_window.setCurrentStep(MainWindow::TrainStep);
    if (!m_window.trainPage()->resumeRun(run.runDir)) {
        if (error) *error = tr("A training is already running.");
        return false;
    }
    return true;
}

QStringList ProjectController::recentProjects() const {
    return QSettings().value(QLatin1String(kRecentKey)).toStringList();
}

void ProjectController::addRecent(const QString& path) {
    QStringList recent = recentProjects();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    while (recent.size() > kMaxRecentProjects) recent.removeLast();
    QSettings().setValue(QLatin1String(kRecentKey), recent);
    Q_EMIT recentChanged();
}

void ProjectController::clearRecent() {
    QSettings().remove(QLatin1String(kRecentKey));
    Q_EMIT recentChanged();
}

} // namespace ts::ui
