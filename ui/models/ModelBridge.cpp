#include "ui/models/ModelBridge.h"
#include "ui/models/BridgeCommon.h"
#include "ui/models/BundleCache.h"

#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/data/Augment.h"
#include "core/data/Dataset.h"
#include "core/data/ImageIO.h"
#include "core/data/Preprocess.h"
#include "core/export/Bundle.h"
#include "core/train/FreezePlan.h"
#include "core/train/TrainTransforms.h"
#include "core/zoo/Registry.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <mutex>

namespace ts::ui {
namespace {

std::mutex g_modelMutex;
// Models built for freeze reports, one per architecture (and head), the most
// recently used first; a few only, since VGG-16 alone holds 138 M parameters.
constexpr size_t kArchCacheSize = 3;
std::vector<std::pair<std::string, zoo::Backbone>> g_archModels;

QVector<ImagePrediction> predictItems(exporting::LoadedModel& loaded, const std::vector<std::pair<std::string, int>>& items) {
    QVector<ImagePrediction> out;
    torch::NoGradGuard noGrad;
    loaded.model->eval();
    constexpr size_t kBatch = 16;
    for (size_t start = 0; start < items.size(); start += kBatch) {
        std::vector<torch::Tensor> tensors;
        std::vector<size_t> used;
        for (size_t i = start; i < std::min(items.size(), start + kBatch); ++i) {
            try {
                tensors.push_back(data::evalTensorFromFile(items[i].first, loaded.meta.transform));
                used.push_back(i);
            } catch (const std::exception&) {
                // An unreadable image is left out (the doctor names it).
            }
        }
        if (tensors.empty()) continue;
        const torch::Tensor probs = torch::softmax(loaded.model->forward(torch::stack(tensors)), 1);
        for (size_t k = 0; k < used.size(); ++k) {
            const auto& item = items[used[k]];
            const torch::Tensor p = probs[int64_t(k)];
            const auto top = p.topk(std::min<int64_t>(3, p.size(0)));
            ImagePrediction pred;
            pred.file = QString::fromStdString(item.first);
            pred.truth = item.second;
            pred.predicted = int(std::get<1>(top)[0].item<int64_t>());
            pred.probability = std::get<0>(top)[0].item<double>();
            auto label = [&](int64_t i) { return classLabel(loaded.meta.classes, i); };
            pred.predictedLabel = label(pred.predicted);
            for (int64_t j = 0; j < std::get<1>(top).size(0); ++j)
                pred.top << QStringLiteral("%1 %2%").arg(label(std::get<1>(top)[j].item<int64_t>()))
                                .arg(std::get<0>(top)[j].item<double>() * 100.0, 0, 'f', 1);
            if (pred.truth >= 0 && pred.truth < p.size(0))
                pred.loss = -std::log(std::max(1e-12, p[pred.truth].item<double>()));
            out.push_back(pred);
        }
    }
    return out;
}

std::string archKey(const train::TrainConfig& config, int numClasses) {
    return config.arch + "/" + std::to_string(std::max(1, numClasses)) + "/" + std::to_string(config.headHiddenUnits);
}

// The cached model for `config` (built when missing). Caller holds g_modelMutex.
zoo::BackboneImpl& archModel(const train::TrainConfig& config, int numClasses) {
    const std::string key = archKey(config, numClasses);
    auto it = std::find_if(g_archModels.begin(), g_archModels.end(), [&](const auto& e) { return e.first == key; });
    if (it != g_archModels.end()) {
        std::rotate(g_archModels.begin(), it, it + 1);
        return *g_archModels.front().second;
    }
    zoo::Backbone model = zoo::createModel(config.arch, {std::max(1, numClasses)});
    if (config.headHiddenUnits > 0)
        model->replaceHead({std::max(1, numClasses), config.headHiddenUnits, config.headDropout});
    if (g_archModels.size() >= kArchCacheSize) g_archModels.pop_back();
    g_archModels.insert(g_archModels.begin(), {key, model});
    return *g_archModels.front().second;
}

} // namespace

bool freezeModelCached(const train::TrainConfig& config, int numClasses) {
    std::lock_guard<std::mutex> lock(g_modelMutex);
    const std::string key = archKey(config, numClasses);
    return std::any_of(g_archModels.begin(), g_archModels.end(), [&](const auto& e) { return e.first == key; });
}

QString buildFreezeModel(const train::TrainConfig& config, int numClasses) {
    try {
        std::lock_guard<std::mutex> lock(g_modelMutex);
        archModel(config, numClasses);
        return {};
    } catch (const std::exception& e) {
        return messageOf(e);
    }
}

FreezeReport freezeReport(const train::TrainConfig& config, int numClasses) {
    FreezeReport report;
    report.arch = QString::fromStdString(config.arch);
    try {
        std::lock_guard<std::mutex> lock(g_modelMutex);
        zoo::BackboneImpl& model = archModel(config, numClasses);
        train::FreezeSpec spec{config.freeze, config.trainStages, config.freezeStages, config.trainParams,
                               config.freezeParams};
        const train::FreezePlan plan(model, spec);
        for (const auto& stage : model.stages()) {
            FreezeStageRow row;
            row.name = QString::fromStdString(stage.name);
            for (const auto& path : stage.modules) {
                row.modules << QString::fromStdString(path);
                const auto module = model.moduleAt(path);
                for (const auto& p : module->named_parameters()) {
                    const std::string full = path.empty() ? p.key() : path + "." + p.key();
                    row.params += p.value().numel();
                    if (plan.isTrainable(full)) row.trainable += p.value().numel();
                }
                for (const auto& m : module->modules()) {
                    const std::string name = m->name();
                    if (name.find("BatchNorm") != std::string::npos) row.hasBatchNorm = true;
                }
            }
            report.trainable += row.trainable;
            report.frozen += row.params - row.trainable;
            report.stages.push_back(row);
        }
        const qint64 headTrainable = report.stages.isEmpty() ? 0 : report.stages.back().trainable;
        report.backboneFrozen = report.trainable == headTrainable;
    } catch (const std::exception& e) {
        report.error = messageOf(e);
    }
    return report;
}

QVector<QImage> augmentationPreview(const QString& path, const train::TrainConfig& config, int count, quint64 seed,
                                    QString* error) {
    QVector<QImage> out;
    try {
        const cv::Mat rgb = data::loadImageRgb(path.toStdString());
        const auto t = data::EvalTransform::forModel(zoo::modelInfo(config.arch));
        data::AugmentOptions options = train::toAugmentOptions(config.augment);
        for (const cv::Mat& m : data::previewAugmentations(rgb, options, count, seed, t)) out.push_back(toQImage(m));
    } catch (const std::exception& e) {
        if (error) *error = messageOf(e);
    }
    return out;
}

QVector<ImagePrediction> predictFiles(const QString& bundleOrRunDir, const QStringList& files, QString* error) {
    try {
        const BundleLease lease(bundleOrRunDir);
        auto& loaded = lease.model();
        std::vector<std::pair<std::string, int>> items;
        for (const QString& f : files) items.emplace_back(f.toStdString(), -1);
        return predictItems(loaded, items);
    } catch (const std::exception& e) {
        if (error) *error = messageOf(e);
        return {};
    }
}

QVector<ImagePrediction> predictValidation(const QString& runDir, QStringList* classes, QString* error) {
    try {
        const std::string manifest = QFile::encodeName(QDir(runDir).filePath(QStringLiteral("manifest.json"))).toStdString();
        const data::DatasetIndex index = data::fromManifest(readJsonFile(manifest), manifest);
        const BundleLease lease(runDir);
        auto& loaded = lease.model();
        if (classes) {
            classes->clear();
            for (const auto& c : index.classes) *classes << QString::fromStdString(c);
        }
        std::vector<std::pair<std::string, int>> items;
        for (const auto& item : index.val) {
            std::string p = item.path;
            if (!p.empty() && p[0] != '/') p = index.root + "/" + p;
            items.emplace_back(p, int(item.label));
        }
        QVector<ImagePrediction> out = predictItems(loaded, items);
        std::stable_sort(out.begin(), out.end(),
                         [](const ImagePrediction& a, const ImagePrediction& b) { return a.loss > b.loss; });
        return out;
    } catch (const std::exception& e) {
        if (error) *error = messageOf(e);
        return {};
    }
}

QImage networkView(const QString& path, int sidePx) {
    try {
        data::EvalTransform t;
        t.cropSize = sidePx;
        t.resizeSize = sidePx;
        return toQImage(data::resizeAndCrop(data::loadImageRgb(path.toStdString()), t));
    } catch (const std::exception&) {
        return {};
    }
}

} // namespace ts::ui
