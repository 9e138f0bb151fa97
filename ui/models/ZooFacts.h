#pragma once
// ZooFacts: the model registry (core/zoo/Registry.h) as Qt value types.
//
// ZooFacts.cpp includes LibTorch; this header does not. The ui/ files that
// include LibTorch or OpenCV are the bridges and job bodies of the
// ts_ui_bridges library (ui/CMakeLists.txt), all .cpp files: no ui/ header
// includes LibTorch, and ts_ui (pages, widgets, main) is compiled without it
// (tests/core/test_layout.cpp).
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

namespace ts::ui {

/// One architecture of the zoo, as the Backbone page lists it.
struct ZooRow {
    QString name;           ///< torchvision builder name, e.g. "resnet50"
    QString family;         ///< "ResNet", "MobileNetV2", ...
    qint64 numParams = 0;   ///< parameters with the 1000-class head
    double gflops = 0.0;    ///< at the native input size (0 = unknown)
    double top1 = 0.0;      ///< ImageNet-1k acc@1 of the official weights (0 = none)
    double top5 = 0.0;      ///< ImageNet-1k acc@5
    int inputSize = 224;    ///< centre-crop size of the standard preprocessing
    int resizeSize = 256;   ///< shorter side before the crop
    bool hasOfficialWeights = false;  ///< an official weights URL exists
    bool weightsCached = false;       ///< the official weights are in the cache
    QString weightsPath;    ///< where the cached weights are (or would be)
    qint64 partialBytes = 0;  ///< bytes of an interrupted download ("<weightsPath>.partial"), 0 when none
    QString weightsUrl;     ///< official weights URL; empty when none
    QString license;        ///< licence note for the weights
    QString paper;          ///< one-line reference
};

/// One stage of a network, from input to head.
struct StageRow {
    QString name;           ///< "features.3", "layer2", "head"
    QStringList modules;    ///< module paths the stage groups
    qint64 numParams = 0;   ///< parameters of those modules
};

/// Every registered architecture, in the registry's order.
QVector<ZooRow> zooRows();

/// Re-reads the cache state of `row` (weightsCached, partialBytes) from disk.
void refreshWeightsState(ZooRow& row);

/// Builds `arch` (random weights, 1000 classes) and lists its stages.
/// Throws ts::Error (e.g. ts::ModelError for an unknown or unfinished
/// architecture). May take seconds for large models: call it in a background job.
QVector<StageRow> zooStages(const QString& arch);

} // namespace ts::ui

Q_DECLARE_METATYPE(ts::ui::StageRow)
