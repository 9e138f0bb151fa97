#include "ui/models/ZooFacts.h"

#include "core/weights/Pretrained.h"
#include "core/common/Error.h"
#include "core/zoo/Registry.h"

#include <c10/util/Exception.h>

#include <filesystem>

namespace ts::ui {

QVector<ZooRow> zooRows() {
    QVector<ZooRow> rows;
    for (const auto& entry : zoo::registry()) {
        const auto& info = entry.info;
        ZooRow row;
        row.name = QString::fromStdString(info.name);
        row.family = QString::fromStdString(info.family);
        row.numParams = info.numParams;
        row.gflops = info.gflops;
        row.top1 = info.top1;
        row.top5 = info.top5;
        row.inputSize = info.inputSize;
        row.resizeSize = info.resizeSize;
        row.hasOfficialWeights = !info.weightsUrl.empty();
        if (row.hasOfficialWeights) {
            row.weightsPath = QString::fromStdString(weights::cachedWeightsPath(info.name));
            refreshWeightsState(row);
        }
        row.weightsUrl = QString::fromStdString(info.weightsUrl);
        row.license = QString::fromStdString(info.license);
        row.paper = QString::fromStdString(info.paper);
        rows.push_back(row);
    }
    return rows;
}

void refreshWeightsState(ZooRow& row) {
    row.weightsCached = false;
    row.partialBytes = 0;
    if (row.weightsPath.isEmpty()) return;
    const std::string path = row.weightsPath.toStdString();
    std::error_code ec;
    row.weightsCached = std::filesystem::exists(path, ec);
    if (row.weightsCached) return;
    const auto size = std::filesystem::file_size(path + ".partial", ec);  // as core/weights/Download.h names it
    if (!ec) row.partialBytes = static_cast<qint64>(size);
}

QVector<StageRow> zooStages(const QString& arch) {
    zoo::Backbone model;
    try {
        model = zoo::createModel(arch.toStdString());
    } catch (const c10::Error& e) {
        throw ModelError("Building " + arch.toStdString() + " failed in LibTorch: " + e.what_without_backtrace());
    }
    QVector<StageRow> rows;
    for (const auto& stage : model->stages()) {
        StageRow row;
        row.name = QString::fromStdString(stage.name);
        for (const auto& path : stage.modules) {
            row.modules << QString::fromStdString(path);
            for (const auto& p : model->moduleAt(path)->parameters()) row.numParams += p.numel();
        }
        rows.push_back(row);
    }
    return rows;
}

} // namespace ts::ui
