#include "ui/models/ProjectSession.h"

#include <nlohmann/json.hpp>

#include <QFileInfo>

namespace ts::ui {
namespace {

// Two configs are the same when they serialise the same (every field).
bool sameConfig(const train::TrainConfig& a, const train::TrainConfig& b) { return train::toJson(a) == train::toJson(b); }

} // namespace

ProjectSession::ProjectSession(QObject* parent) : QObject(parent) {}

void ProjectSession::setConfig(const train::TrainConfig& config) {
    if (sameConfig(config, m_config)) return;
    const bool exclusionsDiffer = config.excludeFiles != m_config.excludeFiles;
    m_config = config;
    Q_EMIT configChanged();
    if (exclusionsDiffer) Q_EMIT exclusionsChanged(exclusions());
}

void ProjectSession::editConfig(const std::function<void(train::TrainConfig&)>& edit) {
    train::TrainConfig copy = m_config;
    edit(copy);
    setConfig(copy);
}

void ProjectSession::resetTrainingSettings() {
    editConfig([](train::TrainConfig& c) {
        train::TrainConfig d;
        d.dataDir = c.dataDir;
        d.excludeFiles = c.excludeFiles;
        d.arch = c.arch;
        // The Layers page's part: the freeze plan, the head and the weights.
        d.freeze = c.freeze;
        d.trainStages = c.trainStages;
        d.freezeStages = c.freezeStages;
        d.backboneLrMultiplier = c.backboneLrMultiplier;
        d.stageLrMultipliers = c.stageLrMultipliers;
        d.batchNormPolicy = c.batchNormPolicy;
        d.headHiddenUnits = c.headHiddenUnits;
        d.headDropout = c.headDropout;
        d.pretrained = c.pretrained;
        d.weightsFile = c.weightsFile;
        c = d;
    });
}

void ProjectSession::chooseBackbone(const QString& arch, bool hasOfficialWeights) {
    const QString before = backbone();
    if (arch == before) return;
    m_backboneChosen = !arch.isEmpty();
    editConfig([&](train::TrainConfig& c) {
        if (!arch.isEmpty()) c.arch = arch.toStdString();
        c.trainStages.clear();
        c.freezeStages.clear();
        c.stageLrMultipliers.clear();
        // Models without official weights (tiny_cnn) start from random weights.
        if (!hasOfficialWeights && c.pretrained && c.weightsFile.empty()) c.pretrained = false;
    });
    if (backbone() != before) Q_EMIT backboneChanged();
}

void ProjectSession::setDataset(const DatasetSummary& summary) {
    m_dataset = summary;  // a rescan of the same folder is news too (counts, split)
    Q_EMIT datasetChanged();
}

void ProjectSession::setDoctorResult(const DoctorResult& result) {
    m_doctor = result;
    Q_EMIT doctorResultChanged();
}

QStringList ProjectSession::exclusions() const {
    QStringList files;
    files.reserve(int(m_config.excludeFiles.size()));
    for (const std::string& f : m_config.excludeFiles) files << QString::fromStdString(f);
    return files;
}

void ProjectSession::setExclusions(const QStringList& files) {
    editConfig([&files](train::TrainConfig& c) {
        c.excludeFiles.clear();
        for (const QString& f : files) c.excludeFiles.push_back(f.toStdString());
    });
}

void ProjectSession::setCurrentRun(const QString& runDir, const QString& bundlePath) {
    if (runDir == m_runDir && bundlePath == m_bundle) return;
    m_runDir = runDir;
    m_bundle = bundlePath;
    const QString key = runDir.isEmpty() ? bundlePath : runDir;
    if (!key.isEmpty() && !m_runs.contains(key)) m_runs << key;
    Q_EMIT runChanged();
}

void ProjectSession::setProjectPath(const QString& path) {
    const QString absolute = path.isEmpty() ? QString() : QFileInfo(path).absoluteFilePath();
    if (absolute == m_projectPath) return;
    m_projectPath = absolute;
    Q_EMIT projectPathChanged();
}

ProjectFile ProjectSession::toProjectFile(const QJsonObject& ui) const {
    ProjectFile project;
    project.config = m_config;
    project.ui = ui;
    return project;
}

void ProjectSession::loadProjectFile(const ProjectFile& project, const QString& path) {
    train::TrainConfig config = project.hasFullConfig ? project.config : train::TrainConfig();
    config.dataDir = project.config.dataDir;
    if (project.hasBackbone) config.arch = project.config.arch;
    else if (m_backboneChosen) config.arch = m_config.arch;  // a version-1 file without one: the chosen one stays
    setProjectPath(path);
    m_dataset = {};
    m_doctor = {};
    const QString before = backbone();
    if (project.hasBackbone && !project.config.arch.empty()) m_backboneChosen = true;
    setConfig(config);
    if (backbone() != before) Q_EMIT backboneChanged();
    Q_EMIT datasetChanged();
    Q_EMIT doctorResultChanged();
}

} // namespace ts::ui
