#include "core/train/Evaluate.h"
#include "core/train/Calibration.h"

#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/data/ContentHash.h"
#include "core/data/ImageLimits.h"
#include "core/export/Bundle.h"
#include "core/train/TrainTransforms.h"

#include <ATen/Functions.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace ts::train {
namespace {

std::string nameList(const std::vector<std::string>& names, size_t most = 12) {
    std::string out;
    for (size_t i = 0; i < names.size() && i < most; ++i) out += (i ? ", " : "") + printable(names[i], 40);
    if (names.size() > most) out += ", ... (" + std::to_string(names.size()) + " in all)";
    return out;
}

/// The whole file, or nothing when it cannot be read.
std::optional<std::string> contentOf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return std::nullopt;
    return bytes;
}

} // namespace

std::vector<int64_t> folderClassesToModel(const std::vector<std::string>& folderClasses,
                                          const std::vector<std::string>& modelClasses, const std::string& folder,
                                          const std::string& command) {
    std::vector<int64_t> toModel(folderClasses.size(), -1);
    std::vector<std::string> unknown;
    for (size_t i = 0; i < folderClasses.size(); ++i) {
        for (size_t j = 0; j < modelClasses.size(); ++j)
            if (folderClasses[i] == modelClasses[j]) toModel[i] = static_cast<int64_t>(j);
        if (toModel[i] < 0) unknown.push_back(folderClasses[i]);
    }
    if (!unknown.empty())
        throw DataError(std::string(unknown.size() == 1 ? "The class folder '" + printable(unknown.front(), 60) + "' is"
                                                        : "The class folders " + nameList(unknown) + " are") +
                        " in '" + folder + "' but not among the model's classes (" + nameList(modelClasses) + "). " +
                        command + " needs a folder whose class folders are named like the model's classes; remove " +
                        "or rename the others, or use the model trained on these classes.");
    return toModel;
}

std::string runFolderOf(const std::string& modelArg) {
    std::error_code ec;
    if (fs::is_directory(modelArg, ec)) return modelArg;
    const fs::path parent = fs::path(modelArg).parent_path();
    const std::string dir = parent.empty() ? std::string(".") : parent.string();
    return fs::exists(fs::path(dir) / "manifest.json", ec) ? dir : std::string();
}

std::optional<data::DatasetIndex> runManifest(const std::string& runDir, const std::string& expectedHash,
                                              std::string* why) {
    const std::string path = (fs::path(runDir) / "manifest.json").string();
    std::error_code ec;
    if (runDir.empty() || !fs::exists(path, ec)) {
        if (why) *why = runDir.empty() ? "the bundle is not inside its run folder" : "'" + path + "' does not exist";
        return std::nullopt;
    }
    data::DatasetIndex index;
    try {
        index = data::fromManifest(readJsonFile(path));
    } catch (const Error& e) {
        if (why) *why = e.what();
        return std::nullopt;
    }
    if (!expectedHash.empty() && data::manifestHash(index) != expectedHash) {
        if (why) *why = "'" + path + "' describes other data than the model was trained on (its hash differs from the bundle's)";
        return std::nullopt;
    }
    return index;
}

std::vector<bool> findTrainingImages(const std::vector<std::string>& files, const std::vector<data::ImageItem>& training,
                                     size_t* unreadableTraining) {
    std::vector<bool> flags(files.size(), false);
    size_t unreadable = 0;
    std::error_code ec;
    // Sizes first: a training file whose size no candidate has is never read.
    // Only regular files within the image file budget: anything larger was
    // never read by training either (and a 16 GiB file must not be loaded).
    const auto maxBytes = static_cast<uintmax_t>(data::ImageLimits{}.maxFileBytes);
    std::map<uintmax_t, std::vector<size_t>> candidatesOfSize;
    for (size_t i = 0; i < files.size(); ++i) {
        if (!fs::is_regular_file(files[i], ec) || ec) continue;
        const uintmax_t size = fs::file_size(files[i], ec);
        if (!ec && size <= maxBytes) candidatesOfSize[size].push_back(i);
    }
    std::map<std::pair<uintmax_t, uint64_t>, std::vector<std::string>> trainingByKey;
    for (const auto& item : training) {
        const bool regular = fs::is_regular_file(item.path, ec) && !ec;
        const uintmax_t size = regular ? fs::file_size(item.path, ec) : 0;
        if (!regular || ec) {
            ++unreadable;
            continue;
        }
        if (!candidatesOfSize.count(size)) continue;
        const auto bytes = contentOf(item.path);
        if (!bytes) {
            ++unreadable;
            continue;
        }
        trainingByKey[{size, data::fnv1a64(bytes->data(), bytes->size())}].push_back(item.path);
    }
    std::set<uintmax_t> trainingSizes;
    for (const auto& entry : trainingByKey) trainingSizes.insert(entry.first.first);
    for (const auto& [size, indices] : candidatesOfSize) {
        if (!trainingSizes.count(size)) continue;  // no training file has this size: never read
        for (const size_t i : indices) {
            const auto bytes = contentOf(files[i]);
            if (!bytes) continue;
            const auto it = trainingByKey.find({size, data::fnv1a64(bytes->data(), bytes->size())});
            if (it == trainingByKey.end()) continue;
            // The hash is not collision resistant: equal means equal bytes.
            for (const auto& path : it->second) {
                const auto other = contentOf(path);
                if (other && *other == *bytes) {
                    flags[i] = true;
                    break;
                }
            }
        }
    }
    if (unreadableTraining) *unreadableTraining = unreadable;
    return flags;
}

void sortByLoss(std::vector<Misclassified>& wrong) {
    std::stable_sort(wrong.begin(), wrong.end(), [](const Misclassified& a, const Misclassified& b) {
        if (a.loss != b.loss) return a.loss > b.loss;
        return a.path < b.path;
    });
}

std::string toString(EvalSource source) { return source == EvalSource::Manifest ? "manifest" : "folder"; }

EvalReport evaluate(const exporting::LoadedModel& loaded, const std::string& runDir, const std::string& dataDir,
                    Feedback* feedback) {
    EvalReport report;
    report.classes = loaded.meta.classes;
    const std::vector<std::string>& modelClasses = report.classes;
    std::string noManifestWhy;
    const auto manifest = runManifest(runDir, loaded.meta.manifestHash, &noManifestWhy);

    std::vector<data::ImageItem> items;
    std::vector<int64_t> toModel;
    std::vector<bool> isTraining;
    if (dataDir.empty()) {
        if (!manifest)
            throw ConfigError("eval without --data scores the run's own validation split, but " + noManifestWhy +
                              ". Pass --data FOLDER (a labelled folder the model was not trained on), or --model RUN_DIR.");
        items = manifest->val;
        toModel = folderClassesToModel(manifest->classes, modelClasses, runDir + "/manifest.json", "eval");
        isTraining.assign(items.size(), false);
        report.source = EvalSource::Manifest;
        report.trainingImagesKnown = true;
        if (items.empty()) throw DataError("The run's manifest lists no validation images. Pass --data FOLDER.");
    } else {
        const data::DatasetIndex index = data::indexDataset(dataDir);
        items = index.splitSource == data::SplitSource::Folders ? index.val : index.all();
        if (items.empty()) items = index.all();
        toModel = folderClassesToModel(index.classes, modelClasses, dataDir, "eval");
        report.source = EvalSource::Folder;
        report.trainingImagesKnown = manifest.has_value();
        if (manifest) {
            std::vector<std::string> files;
            for (const auto& item : items) files.push_back(item.path);
            size_t unreadable = 0;
            isTraining = findTrainingImages(files, manifest->train, &unreadable);
            if (unreadable > 0)
                report.warnings.push_back(std::to_string(unreadable) + " file(s) of the run's training split could not be read "
                                          "(moved or deleted since training): copies of them in '" + dataDir +
                                          "' are not recognised as training images.");
        } else {
            isTraining.assign(items.size(), false);
            report.warnings.push_back("cannot tell which images of '" + dataDir + "' the model was trained on (" +
                                      noManifestWhy +
                                      "): if the folder holds training images, the accuracy is optimistic. Evaluate "
                                      "with --model RUN_DIR to have them recognised.");
        }
    }
    report.images = items.size();
    report.trainingImages = static_cast<size_t>(std::count(isTraining.begin(), isTraining.end(), true));
    if (report.trainingImages > 0)
        report.warnings.insert(report.warnings.begin(),
                               std::to_string(report.trainingImages) + " of the " + std::to_string(items.size()) +
                                   " images in '" + dataDir + "' are training images of this model (the same content "
                                   "as files of its training split): they are scored separately, and the accuracy is "
                                   "that of the " + std::to_string(items.size() - report.trainingImages) +
                                   " held-out images.");

    data::LoaderOptions lo;
    lo.batchSize = 32;
    data::Loader loader(items, makeEvalSampleTransform(loaded.meta.transform), lo);
    loader.startEpoch(0);
    const auto numClasses = static_cast<int64_t>(modelClasses.size());
    report.heldOut = ConfusionMatrix(numClasses);
    report.trained = ConfusionMatrix(numClasses);
    double heldOutLossSum = 0.0, heldOutRawLossSum = 0.0;
    report.temperature = loaded.meta.temperature;
    report.unknownThreshold = loaded.meta.unknownThreshold;
    std::vector<at::Tensor> heldOutLogits;
    std::vector<int64_t> heldOutLabels;
    torch::NoGradGuard noGrad;
    const zoo::Backbone& model = loaded.model;  // in eval mode (loadTrainedModel)
    size_t done = 0;
    while (auto batch = loader.next()) {
        if (feedback && feedback->isCancelled()) throw Cancelled();
        // Log-probabilities: the loss of a confident mistake stays exact instead of underflowing.
        const at::Tensor logits = model->forward(batch->images).to(at::kDouble);
        const at::Tensor logp = (logits / report.temperature).log_softmax(1).contiguous();
        const at::Tensor pred = logp.argmax(1);
        const auto lp = logp.accessor<double, 2>();
        const at::Tensor rawLogp = logits.log_softmax(1).contiguous();
        const auto rawLp = rawLogp.accessor<double, 2>();
        for (int64_t i = 0; i < pred.size(0); ++i) {
            const auto item = static_cast<size_t>(batch->indices[static_cast<size_t>(i)]);
            const int64_t truth = toModel[static_cast<size_t>(batch->labels[i].item<int64_t>())];
            const int64_t predicted = pred[i].item<int64_t>();
            (isTraining[item] ? report.trained : report.heldOut).add(truth, predicted);
            if (isTraining[item]) continue;
            heldOutLogits.push_back(logits[i]);
            heldOutLabels.push_back(truth);
            heldOutLossSum += -lp[i][truth];
            heldOutRawLossSum += -rawLp[i][truth];
            if (predicted != truth)
                report.misclassified.push_back({items[item].path, truth, predicted, std::exp(lp[i][predicted]), -lp[i][truth]});
        }
        done += batch->indices.size();
        if (feedback) feedback->reportProgress(static_cast<double>(done) / std::max<size_t>(1, items.size()), "evaluating");
    }
    sortByLoss(report.misclassified);
    if (report.heldOut.total() > 0) {
        report.heldOutLoss = heldOutRawLossSum / static_cast<double>(report.heldOut.total());
        report.heldOutLossCalibrated = heldOutLossSum / static_cast<double>(report.heldOut.total());
    }
    if (!heldOutLogits.empty()) {
        const at::Tensor z = at::stack(heldOutLogits);
        const at::Tensor y = torch::tensor(heldOutLabels, at::kLong);
        report.eceUncalibrated = expectedCalibrationError(z.softmax(1), y);
        report.ece = expectedCalibrationError((z / report.temperature).softmax(1), y);
        if (report.unknownThreshold > 0.0)
            report.heldOutUnknown =
                maxProbability(z, report.temperature).lt(report.unknownThreshold).sum().item<int64_t>();
    }
    report.skipped = loader.skipped();
    return report;
}

} // namespace ts::train
