#pragma once
// ProbeBridge: the Train page's probe images. A few pinned images whose
// predicted class and Grad-CAM are computed with the model as it is at the
// end of each epoch (TrainerCallbacks::onEpochModel), as Qt value types.
// ProbeBridge.cpp includes LibTorch; this header does not.
//
// Thread safety: a ProbeSet is used by one thread (the training thread).
#include "core/train/TrainConfig.h"

#include <QImage>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

#include <memory>

namespace ts::zoo { class BackboneImpl; }

namespace ts::ui {

/// One probe image after an epoch.
struct ProbeResult {
    QString file;
    QString truth;           ///< class folder name; empty for a pinned file outside the dataset
    QString predicted;       ///< predicted class name
    double probability = 0;  ///< softmax probability of `predicted`
    bool pinned = false;     ///< pinned by the user (not a default probe)
    QImage overlay;          ///< Grad-CAM of the predicted class over the image (thumbnail)
    QString error;           ///< empty on success
};

/// The probes of one run.
class ProbeSet {
public:
    /// `pinned` files first, then (up to `maxDefault` in all) the first
    /// validation image of each class of `config`'s dataset (same split as
    /// the trainer). Nothing is read until the first run().
    ProbeSet(const train::TrainConfig& config, const QStringList& pinned, int maxDefault = 4, int thumbnailPx = 112);
    ~ProbeSet();
    ProbeSet(const ProbeSet&) = delete;
    ProbeSet& operator=(const ProbeSet&) = delete;

    /// Predicts and explains every probe with `model` (eval mode, as lent by
    /// the trainer). Never throws: a failing probe carries its error.
    QVector<ProbeResult> run(zoo::BackboneImpl& model);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace ts::ui

Q_DECLARE_METATYPE(ts::ui::ProbeResult)
