#include "ui/main/ProjectController.h"

#include "core/common/Paths.h"
#include "ui/main/MainWindow.h"
#include "ui/models/ProjectFile.h"
#include "ui/models/ProjectSession.h"
#include "ui/pages/BackbonePage.h"
#include "ui/pages/DataPage.h"
#include "ui/pages/LayersPage.h"
#include "ui/pages/TrainPage.h"
#include "ui/pages/TrainingPage.h"
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
    : QObject(&window), m_window(window), m_session(session) {}

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
    if (project.hasFullConfig) m_window.dataPage()->setSplit(config.valFraction, config.seed);
    if (!config.dataDir.empty()) m_window.dataPage()->setFolder(QString::fromStdString(config.dataDir));
    QStringList excluded;
    if (project.hasFullConfig)
        for (const std::string& file : config.excludeFiles) excluded << QString::fromStdString(file);
    m_window.dataPage()->setExcludedFiles(excluded);
    if (project.hasBackbone && !config.arch.empty())
        m_window.backbonePage()->selectBackbone(QString::fromStdString(config.arch));
    if (project.hasFullConfig) {
        // After the backbone (choosing one resets the stage overrides).
        m_window.layersPage()->loadFrom(config);
        m_window.trainingPage()->loadFrom(config);
        m_window.trainPage()->clearPinnedProbes();
        for (const QJsonValue& file : project.ui.value(QStringLiteral("pinnedProbes")).toArray())
            m_window.trainPage()->pinProbe(file.toString());
    }
    m_window.currentConfig();  // the pages' last edits are in the session
    addRecent(m_session.projectPath());
    m_window.setCurrentStep(project.ui.contains(QStringLiteral("step"))
                                ? qBound(0, project.ui.value(QStringLiteral("step")).toInt(), MainWindow::StepCount - 1)
                                : int(MainWindow::DataStep));
    return true;
}

bool ProjectController::saveTo(const QString& path, QString* error) {
    m_window.currentConfig();  // the pages' last edits are in the session
    QJsonObject ui;
    ui.insert(QStringLiteral("step"), m_window.currentStep());
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
