#include "ui/models/WeightsAdvice.h"

#include "ui/models/ZooFacts.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace ts::ui {
namespace {

QString tr(const char* text) { return QCoreApplication::translate("WeightsAdvice", text); }

} // namespace

WeightsChoice weightsChoiceOf(const train::TrainConfig& config) {
    if (!config.weightsFile.empty()) return WeightsChoice::File;
    return config.pretrained ? WeightsChoice::Official : WeightsChoice::Random;
}

QString weightsProblem(const QString& arch, const train::TrainConfig& config) {
    return weightsProblem(arch, weightsChoiceOf(config), QString::fromStdString(config.weightsFile).trimmed());
}

QString weightsProblem(const QString& arch, WeightsChoice choice, const QString& file) {
    if (arch.isEmpty())
        return tr("Choose a backbone on the Backbone page (step 2) first.");
    switch (choice) {
    case WeightsChoice::Official: {
        for (const ZooRow& row : zooRows()) {
            if (row.name != arch) continue;
            if (!row.hasOfficialWeights)
                return tr("%1 has no official weights: on the Layers page (step 3) choose a weights file, or "
                          "random weights.").arg(arch);
            if (!row.weightsCached)
                return tr("The official weights of %1 are not on this computer yet: click Download weights on the "
                          "Backbone page (step 2), or Import weights file… there if you already have the .pth file.")
                    .arg(arch);
            return {};
        }
        return tr("%1 is not a known backbone: choose one on the Backbone page (step 2).").arg(arch);
    }
    case WeightsChoice::File: {
        if (file.isEmpty())
            return tr("Choose the weights file of %1 on the Layers page (step 3) (Import…).").arg(arch);
        if (!QFileInfo(file).isFile())
            return tr("The weights file %1 does not exist: choose another one on the Layers page (step 3).")
                .arg(QDir::toNativeSeparators(file));
        return {};
    }
    case WeightsChoice::Random: return {};
    }
    return {};
}

QString weightsNote(const QString& arch, WeightsChoice choice, const QString& file) {
    QString note;
    if (arch.isEmpty()) return tr("Choose a backbone on the Backbone page (step 2) first.");
    switch (choice) {
    case WeightsChoice::Official: {
        note = tr("No official weights exist for %1: choose a weights file above or start from random weights.").arg(arch);
        for (const ZooRow& row : zooRows()) {
            if (row.name != arch || !row.hasOfficialWeights) continue;
            note = row.weightsCached
                       ? tr("Cached: %1").arg(QDir::toNativeSeparators(row.weightsPath))
                       : tr("Not downloaded yet. Official weights need a download (once, about the size of the "
                            "model): click <b>Download weights</b> on the Backbone page (step 2), or <b>Import "
                            "weights file…</b> there if you already have the .pth file.");
        }
        break;
    }
    case WeightsChoice::File:
        note = file.isEmpty() ? tr("Choose a torchvision .pth file of %1.").arg(arch)
               : QFileInfo::exists(file) ? tr("The file's keys are checked against %1 when training "
                                                               "starts.").arg(arch)
                                                          : tr("The file does not exist.");
        break;
    case WeightsChoice::Random:
        note = tr("The backbone starts from random weights: fine for the demo, but real data needs pretrained "
                  "weights (and far more epochs otherwise).");
        break;
    }
    return note;
}

} // namespace ts::ui
