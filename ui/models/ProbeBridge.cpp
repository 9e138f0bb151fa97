#include "ui/models/ProbeBridge.h"
#include "ui/models/BridgeCommon.h"

#include "core/data/Dataset.h"
#include "core/data/Preprocess.h"
#include "core/viz/Viz.h"
#include "core/zoo/Registry.h"

#include <c10/util/Exception.h>
#include <opencv2/core.hpp>

#include <QDir>
#include <QFileInfo>
#include <QObject>

#include <optional>

namespace ts::ui {
namespace {

} // namespace

struct ProbeSet::Impl {
    train::TrainConfig config;
    QStringList pinned;
    int maxDefault = 4;
    int thumbnailPx = 112;

    struct Probe {
        QString file;
        QString truth;
        bool pinned = false;
        std::optional<viz::PreparedImage> image;
        QString error;
    };
    bool prepared = false;
    std::vector<Probe> probes;
    std::vector<std::string> classes;

    void prepare() {
        prepared = true;
        data::EvalTransform transform;
        try {
            transform = data::EvalTransform::forModel(zoo::modelInfo(config.arch));
        } catch (const std::exception&) {
        }
        try {
            const data::DatasetIndex index = data::indexDataset(config.dataDir, {config.valFraction, config.seed});
            classes = index.classes;
            const QDir root(QString::fromStdString(config.dataDir));
            auto absolute = [&](const std::string& p) {
                const QString q = QString::fromStdString(p);
                return QFileInfo(q).isAbsolute() ? q : root.filePath(q);
            };
            for (const QString& file : pinned) {
                Probe p;
                p.file = file;
                p.pinned = true;
                // A pinned file inside a class folder of the dataset has a known truth.
                const QString parent = QFileInfo(file).absoluteDir().dirName();
                for (const auto& c : classes)
                    if (QString::fromStdString(c) == parent) p.truth = parent;
                probes.push_back(std::move(p));
            }
            std::vector<bool> taken(classes.size(), false);
            for (const auto& item : index.val) {
                if (int(probes.size()) >= qMax(maxDefault, int(pinned.size()))) break;
                if (item.label < 0 || size_t(item.label) >= taken.size() || taken[size_t(item.label)]) continue;
                taken[size_t(item.label)] = true;
                Probe p;
                p.file = absolute(item.path);
                p.truth = QString::fromStdString(classes[size_t(item.label)]);
                probes.push_back(std::move(p));
            }
        } catch (const std::exception& e) {
            Probe p;
            p.error = messageOf(e);
            probes.push_back(std::move(p));
            return;
        }
        for (auto& p : probes) {
            try {
                p.image = viz::prepareImageFile(p.file.toStdString(), transform);
            } catch (const std::exception& e) {
                p.error = messageOf(e);
            }
        }
    }
};

ProbeSet::ProbeSet(const train::TrainConfig& config, const QStringList& pinned, int maxDefault, int thumbnailPx)
    : m_impl(std::make_unique<Impl>()) {
    m_impl->config = config;
    m_impl->pinned = pinned;
    m_impl->maxDefault = maxDefault;
    m_impl->thumbnailPx = thumbnailPx;
}

ProbeSet::~ProbeSet() = default;

QVector<ProbeResult> ProbeSet::run(zoo::BackboneImpl& model) {
    if (!m_impl->prepared) m_impl->prepare();
    QVector<ProbeResult> out;
    for (const auto& p : m_impl->probes) {
        ProbeResult r;
        r.file = p.file;
        r.truth = p.truth;
        r.pinned = p.pinned;
        r.error = p.error;
        if (p.image && r.error.isEmpty()) {
            try {
                const viz::Heatmap h = viz::gradCam(model, *p.image);
                const int64_t i = h.predictedIndex;
                r.predicted = classLabel(m_impl->classes, i);
                r.probability = h.probability;
                const int side = m_impl->thumbnailPx;
                r.overlay = toQImage(h.overlay).scaled(side, side, Qt::KeepAspectRatio, Qt::SmoothTransformation);
            } catch (const std::exception& e) {
                r.error = messageOf(e);
            }
        }
        out.push_back(std::move(r));
    }
    return out;
}

} // namespace ts::ui
