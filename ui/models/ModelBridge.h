#pragma once
// ModelBridge: the model-level core/ calls the pages need (freeze plans,
// augmentation previews, predictions with a trained bundle), as Qt value
// types. ModelBridge.cpp is one of the few ui/ files that include LibTorch.
//
// Thread safety: every function may be called from any thread. The ones
// that use a trained bundle read it through the app's one BundleCache
// (shared with the Inside views and the exports); the freeze reports keep
// their own small cache of built architectures, guarded by a mutex.
// Functions that build or run a model may take seconds on large backbones.
#include "core/train/TrainConfig.h"

#include <QImage>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

namespace ts::ui {

/// One stage of a backbone under a freeze plan.
struct FreezeStageRow {
    QString name;          ///< "layer4", "features.17", "head"
    QStringList modules;   ///< module paths it groups
    qint64 params = 0;     ///< parameters of the stage
    qint64 trainable = 0;  ///< of which train under the plan
    bool hasBatchNorm = false;
};

/// A freeze plan applied to a backbone (with a head of `numClasses`).
struct FreezeReport {
    QString arch;
    QVector<FreezeStageRow> stages;
    qint64 trainable = 0;
    qint64 frozen = 0;
    bool backboneFrozen = false;
    /// Empty on success; the core's message otherwise (unknown stage...).
    QString error;
};

/// Builds `config.arch` (random weights; the last few architectures stay
/// cached) with a `numClasses` head and applies config's freeze preset and
/// overrides. Milliseconds when the model is cached; seconds otherwise (VGG).
FreezeReport freezeReport(const train::TrainConfig& config, int numClasses);
/// Whether freezeReport() has the model for `config` cached (fast).
bool freezeModelCached(const train::TrainConfig& config, int numClasses);
/// Builds the model freezeReport() needs into the cache (call it in a background job);
/// the error message, empty on success.
QString buildFreezeModel(const train::TrainConfig& config, int numClasses);

/// `count` augmented versions of the image at `path`, exactly as training
/// would draw them for `config` (its augmentation and `config.arch`'s input
/// size). Empty with `error` set when the image cannot be read.
QVector<QImage> augmentationPreview(const QString& path, const train::TrainConfig& config, int count, quint64 seed,
                                    QString* error);

/// The prediction of a trained model on one image.
struct ImagePrediction {
    QString file;
    int truth = -1;           ///< label index, -1 when unknown
    int predicted = -1;
    QString predictedLabel;
    double probability = 0;   ///< of the predicted class
    double loss = 0;          ///< cross-entropy against `truth` (0 when unknown)
    QStringList top;          ///< "label 97.1%" for the top 3
};

/// Predicts `files` with the model of a bundle or run folder.
QVector<ImagePrediction> predictFiles(const QString& bundleOrRunDir, const QStringList& files, QString* error);

/// Predicts the validation split of a run folder (its manifest.json), worst
/// first (by loss). `classes` receives the class names.
QVector<ImagePrediction> predictValidation(const QString& runDir, QStringList* classes, QString* error);

/// An RGB 8-bit preview of what the network sees of `path` (resize + crop) at
/// `sidePx`; null on failure.
QImage networkView(const QString& path, int sidePx);

} // namespace ts::ui

Q_DECLARE_METATYPE(ts::ui::ImagePrediction)
