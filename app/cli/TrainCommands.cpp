// tstudio train | resume | eval
#include "app/cli/Cli.h"
#include "app/cli/EvalText.h"
#include "app/cli/Interrupt.h"
#include "app/cli/LrFindPlot.h"
#include "app/cli/Progress.h"

#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/data/Dataset.h"
#include "core/data/DatasetFolder.h"
#include "core/data/PathText.h"
#include "core/export/Bundle.h"
#include "core/train/Evaluate.h"
#include "core/train/Metrics.h"
#include "core/train/Trainer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <unistd.h>

using nlohmann::json;

namespace ts::cli {
namespace {

/// Runs `body` with a Feedback that Ctrl-C and SIGTERM cancel (InterruptScope).
train::TrainResult runWithSignals(const std::function<train::TrainResult(Feedback&)>& body) {
    Feedback feedback;
    InterruptScope interrupts(feedback);
    return body(feedback);
}

/// A cancelled run (Ctrl-C, SIGTERM) exits 130, whether it stopped in an
/// epoch or while features were cached (the trainer's last log line says how
/// to continue it).
void exitIfCancelled(const train::TrainResult& result) {
    if (result.cancelled) throw ExitRequest(kExitCancelled);
}

/// What `train` and `lr-find` were given. Only flags that were given
/// override the config (`given()`), so every value a flag takes, default or
/// not, goes through TrainConfig::validate() with the flag named.
struct TrainArgs {
    const CLI::App* cmd = nullptr;
    std::string configFile, data, arch, weights, initFrom, freeze, augment, optimizer, schedule, device, precision, out;
    std::string batchNormPolicy, earlyStoppingMetric, featureCache, seed;
    std::vector<std::string> stageLr;
    bool pretrained = false, json = false, classWeights = false;
    int epochs = 0, batchSize = 0, stepEpochs = 0, warmupEpochs = 0, patience = 0, workers = 0, threads = 0;
    int64_t headHidden = 0;
    double maxMegapixels = 0;
    int64_t maxFileMib = 0;
    double lr = 0, gradClip = 0, labelSmoothing = 0, weightDecay = 0, valFraction = 0, momentum = 0, headDropout = 0,
           stepGamma = 0;

    bool given(const std::string& flag) const {
        try {
            return cmd && cmd->count(flag) > 0;
        } catch (const CLI::OptionNotFound&) {
            return false;  // a flag of `train` only, asked about on `lr-find`
        }
    }
};

/// The uint64 in `text` (decimal digits only), or throws naming `flag`.
uint64_t parseSeed(const std::string& text, const std::string& flag) {
    uint64_t v = 0;
    bool ok = !text.empty() && text.size() <= 20;
    for (char ch : text) {
        if (!ok) break;
        if (ch < '0' || ch > '9') ok = false;
        else {
            const uint64_t digit = static_cast<uint64_t>(ch - '0');
            if (v > (UINT64_MAX - digit) / 10) ok = false;
            else v = v * 10 + digit;
        }
    }
    if (!ok)
        throw ConfigError(flag + " must be a whole number from 0 to 18446744073709551615 (got \"" + printable(text, 40) +
                          "\").");
    return v;
}

train::TrainConfig configFromArgs(const TrainArgs& a) {
    train::TrainConfig c = a.configFile.empty() ? train::TrainConfig{} : train::loadTrainConfig(a.configFile);
    if (a.configFile.empty()) c.pretrained = false;  // flags decide: --weights or --pretrained
    train::ValidationNames names;
    names.source = a.configFile;
    // Sets `field` from the flag when it was given; validate() then names the flag.
    auto set = [&](const char* flag, const char* key, auto& field, const auto& value) {
        if (!a.given(flag)) return;
        field = value;
        names.fields[key] = flag;
    };
    // A closed choice, parsed through the config's name tables: `parse(flag)`
    // returns the value, its message naming the flag.
    auto choose = [&](const char* flag, const char* key, auto& field, const auto& parse) {
        if (!a.given(flag)) return;
        field = parse(flag);
        names.fields[key] = flag;
    };
    // For the parsers that cannot name the field themselves: "--flag: message".
    auto prefixed = [](const char* flag, const auto& parse) {
        try {
            return parse();
        } catch (const ConfigError& e) {
            throw ConfigError(std::string(flag) + ": " + e.what());
        }
    };
    set("--data", "data_dir", c.dataDir, a.data);
    set("--val-fraction", "val_fraction", c.valFraction, a.valFraction);
    set("--max-megapixels", "max_image_megapixels", c.maxImageMegapixels, a.maxMegapixels);
    set("--max-file-mib", "max_image_file_mib", c.maxImageFileMib, a.maxFileMib);
    set("--arch", "arch", c.arch, a.arch);
    set("--weights", "weights_file", c.weightsFile, a.weights);
    if (a.pretrained) c.pretrained = true;
    set("--init-from", "init_from", c.initFrom, a.initFrom);
    if (a.given("--init-from") && !a.given("--arch") && a.configFile.empty()) {
        // The trained model's architecture and head, unless the flags say otherwise.
        try {
            const auto meta = exporting::loadTrainedModel(a.initFrom).meta;
            c.arch = meta.arch;
            c.headHiddenUnits = meta.headHiddenUnits;
            c.headDropout = meta.headDropout;
        } catch (const Error&) {
            // The run's start says what is wrong with it, naming --init-from.
        }
    }
    set("--head-hidden", "head_hidden_units", c.headHiddenUnits, a.headHidden);
    set("--head-dropout", "head_dropout", c.headDropout, a.headDropout);
    choose("--freeze", "freeze", c.freeze, [&](const char* f) { return train::freezePresetFromString(a.freeze, f); });
    choose("--batchnorm-policy", "batchnorm_policy", c.batchNormPolicy,
           [&](const char* f) { return train::batchNormPolicyFromString(a.batchNormPolicy, f); });
    choose("--augment", "augment.preset", c.augment.preset,
           [&](const char* f) { return train::augmentPresetFromString(a.augment, f); });
    set("--epochs", "epochs", c.epochs, a.epochs);
    set("--batch-size", "batch_size", c.batchSize, a.batchSize);
    set("--lr", "lr", c.lr, a.lr);
    choose("--optimizer", "optimizer", c.optimizer,
           [&](const char* f) { return prefixed(f, [&] { return train::optimizerFromString(a.optimizer); }); });
    set("--momentum", "momentum", c.momentum, a.momentum);
    set("--weight-decay", "weight_decay", c.weightDecay, a.weightDecay);
    choose("--schedule", "schedule", c.schedule,
           [&](const char* f) { return prefixed(f, [&] { return train::scheduleFromString(a.schedule); }); });
    set("--step-epochs", "step_epochs", c.stepEpochs, a.stepEpochs);
    set("--step-gamma", "step_gamma", c.stepGamma, a.stepGamma);
    set("--warmup-epochs", "warmup_epochs", c.warmupEpochs, a.warmupEpochs);
    set("--label-smoothing", "label_smoothing", c.labelSmoothing, a.labelSmoothing);
    set("--class-weights", "class_weights", c.classWeights, a.classWeights);
    set("--grad-clip", "grad_clip_norm", c.gradClipNorm, a.gradClip);
    set("--early-stopping-patience", "early_stopping_patience", c.earlyStoppingPatience, a.patience);
    choose("--early-stopping-metric", "early_stopping_metric", c.earlyStoppingMetric,
           [&](const char* f) { return train::earlyStoppingMetricFromString(a.earlyStoppingMetric, f); });
    choose("--device", "device", c.device,
           [&](const char* f) { return prefixed(f, [&] { return train::deviceFromString(a.device); }); });
    // Through the config's name tables, with the flags' own short message.
    choose("--precision", "precision", c.precision, [&](const char* f) {
        try {
            return train::precisionFromString(a.precision);
        } catch (const ConfigError&) {
            throw ConfigError(std::string(f) + ": use float32 or mixed (got \"" + printable(a.precision, 40) + "\").");
        }
    });
    choose("--feature-cache", "feature_cache", c.featureCache, [&](const char* f) {
        try {
            return train::featureCacheFromString(a.featureCache);
        } catch (const ConfigError&) {
            throw ConfigError(std::string(f) + ": use auto or off (got \"" + printable(a.featureCache, 40) + "\").");
        }
    });
    if (a.given("--seed")) c.seed = parseSeed(a.seed, "--seed");
    set("--workers", "workers", c.workers, a.workers);
    set("--threads", "threads", c.threads, a.threads);
    for (const std::string& item : a.stageLr) {
        const auto eq = item.find('=');
        double m = -1;
        bool ok = eq != std::string::npos && eq > 0 && eq + 1 < item.size();
        if (ok) {
            const std::string number = item.substr(eq + 1);
            char* end = nullptr;
            errno = 0;
            m = std::strtod(number.c_str(), &end);
            ok = errno == 0 && end == number.c_str() + number.size();
        }
        if (!ok)
            throw ConfigError("--stage-lr expects STAGE=MULTIPLIER (e.g. --stage-lr layer3=0.3); got \"" +
                              printable(item, 80) + "\".");
        c.stageLrMultipliers[item.substr(0, eq)] = m;
        names.fields["stage_lr_multipliers"] = "--stage-lr";
    }
    // The same checks as a config file's values, before anything is created.
    c.validate(names);
    return c;
}

/// The value a run without --config starts from, for --help.
std::string defaultOf(const char* key) {
    const json d = train::toJson(train::TrainConfig{});
    const json& v = std::string(key).rfind("augment.", 0) == 0 ? d.at("augment").at(key + 8) : d.at(key);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_float()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", v.get<double>());
        return buf;
    }
    return v.dump();
}

void addTrainOptions(CLI::App* cmd, TrainArgs& a) {
    a.cmd = cmd;
    cmd->footer("Flags override a --config file; without one, a run starts from the defaults shown. Every setting "
                "with its default and allowed range: docs/config.md (installed in /usr/share/transfer-studio/docs).");
    cmd->add_option("--config", a.configFile, "A TrainConfig JSON file or a desktop project (.tsproj); flags override it");
    cmd->add_option("--data", a.data, "Dataset folder: class folders, or train/ val/ [test/]");
    cmd->add_option("--val-fraction", a.valFraction, "Validation share of each class when the folder has no val/")
        ->default_str(defaultOf("val_fraction"));
    cmd->add_option("--max-megapixels", a.maxMegapixels, "Skip (and report) images larger than this, before decoding")
        ->default_str(defaultOf("max_image_megapixels"));
    cmd->add_option("--max-file-mib", a.maxFileMib, "Skip (and report) image files larger than this many MiB")
        ->default_str(defaultOf("max_image_file_mib"));
    cmd->add_option("--arch", a.arch, "Backbone architecture (tstudio models)")->default_str(defaultOf("arch"));
    cmd->add_option("--weights", a.weights, "Pretrained weights file (.pth or .safetensors)");
    cmd->add_option("--init-from", a.initFrom,
                    "Start from a trained run folder or bundle (.tsb), head included (same classes); its arch "
                    "unless --arch is given");
    cmd->add_flag("--pretrained", a.pretrained, "Start from the cached official ImageNet weights");
    cmd->add_option("--head-hidden,--head-hidden-units", a.headHidden, "Hidden units of the new head (0 = a single Linear layer)")
        ->default_str(defaultOf("head_hidden_units"));
    cmd->add_option("--head-dropout", a.headDropout, "Dropout after the head's hidden layer")
        ->default_str(defaultOf("head_dropout"));
    cmd->add_option("--freeze", a.freeze, "feature-extraction | last:N | none")->default_str(defaultOf("freeze"));
    cmd->add_option("--augment", a.augment, "none | standard")->default_str(defaultOf("augment.preset"));
    cmd->add_option("--batch-size", a.batchSize, "Images per batch")->default_str(defaultOf("batch_size"));
    cmd->add_option("--optimizer", a.optimizer, "sgd | adam | adamw")->default_str(defaultOf("optimizer"));
    cmd->add_option("--momentum", a.momentum, "SGD momentum")->default_str(defaultOf("momentum"));
    cmd->add_option("--weight-decay", a.weightDecay, "Weight decay (0.01 is typical for adamw)")
        ->default_str(defaultOf("weight_decay"));
    cmd->add_flag("--class-weights,!--no-class-weights", a.classWeights,
                  "Weight the loss by N/(C*n_c) for imbalanced classes (default off)");
    cmd->add_option("--device", a.device, "auto | cpu | cuda")->default_str(defaultOf("device"));
    cmd->add_option("--precision", a.precision,
                    "float32 | mixed (float16 autocast with loss scaling on CUDA; bfloat16 autocast on CPUs with "
                    "native bfloat16)")
        ->default_str(defaultOf("precision"));
    cmd->add_option("--feature-cache", a.featureCache, "auto (cache a frozen backbone's features) | off")
        ->default_str(defaultOf("feature_cache"));
    cmd->add_option("--seed", a.seed, "Random seed")->default_str(defaultOf("seed"));
    cmd->add_option("--workers", a.workers, "Loader threads")->default_str(defaultOf("workers"));
    cmd->add_option("--threads", a.threads, "LibTorch CPU threads (0 = all cores)")->default_str(defaultOf("threads"));
    cmd->add_option("--batchnorm-policy", a.batchNormPolicy,
                    "frozen-eval (frozen BatchNorm layers keep their statistics) | all-eval (every BatchNorm layer "
                    "does; for small batches)")
        ->default_str(defaultOf("batchnorm_policy"));
    cmd->add_option("--stage-lr", a.stageLr,
                    "STAGE=MULTIPLIER: learning rate of one stage relative to --lr (repeatable; e.g. layer3=0.3)");
    cmd->add_flag("--json", a.json, "Machine-readable JSON output");
}

struct LrFindOutput {
    int steps = 100;
    std::string png, csv;
};

void runLrFind(const TrainArgs& a, const LrFindOutput& o) {
    train::TrainConfig c = configFromArgs(a);
    // The files are checked before the test runs, which can take minutes.
    std::string csv = o.csv;
    if (!o.png.empty()) {
        checkOutputFile(o.png, {".png"}, "--out");
        if (csv.empty()) csv = std::filesystem::path(o.png).replace_extension(".csv").string();
    }
    if (!csv.empty()) checkOutputFile(csv, {".csv"}, "--csv");
    const auto r = runWithSignals([&](Feedback& fb) {
        train::TrainResult unused;
        ProgressDisplay display;
        if (!a.json)
            fb.setProgressCallback(
                [&display](double f, const std::string& what) { display.update(what, f, "", 0.0); }, 200);
        const auto found = train::lrFind(c, fb, o.steps);
        display.clear();
        if (!o.png.empty()) writeLrFindPlot(found, o.png);
        if (!csv.empty()) writeLrFindCsv(found, csv);
        if (a.json) {
            json j = {{"lrs", found.lrs},
                      {"losses", found.losses},
                      {"suggested_lr", found.suggestedLr},
                      {"stopped_on_divergence", found.stoppedOnDivergence}};
            if (!o.png.empty()) j["plot"] = o.png;
            if (!csv.empty()) j["csv"] = csv;
            std::cout << j.dump() << '\n';
        } else {
            for (size_t i = 0; i < found.lrs.size(); i += std::max<size_t>(1, found.lrs.size() / 25))
                std::printf("lr %10.3g  loss %.4f\n", found.lrs[i], found.losses[i]);
            std::printf("\nSuggested learning rate: %.3g\n", found.suggestedLr);
            if (!o.png.empty()) std::printf("Plot: %s\n", o.png.c_str());
            if (!csv.empty()) std::printf("Table: %s\n", csv.c_str());
        }
        return unused;
    });
    (void)r;
}

/// The dataset folder a config file names must be a folder; the message
/// also says which config and which key, so the user knows what to edit (the
/// scan's own message names only the path).
void checkConfigDataDir(const TrainArgs& a, const train::TrainConfig& c) {
    if (a.configFile.empty() || a.given("--data") || c.dataDir.empty()) return;
    try {
        data::checkDatasetFolder(c.dataDir);
    } catch (const DataError& e) {
        throw DataError("data_dir in " + data::quotedPath(a.configFile) + ": " + e.what() +
                        " Fix data_dir in the config or pass --data FOLDER.");
    }
}

void runTrain(const TrainArgs& a) {
    const train::TrainConfig c = configFromArgs(a);
    checkConfigDataDir(a, c);
    TrainEventPrinter printer(a.json);
    const auto callbacks = printer.callbacks();
    const auto result = runWithSignals([&](Feedback& fb) { return train::trainRun(c, a.out, callbacks, fb); });
    printer.finished(result);
    exitIfCancelled(result);
}

void runResume(const std::string& dir, bool asJson) {
    TrainEventPrinter printer(asJson);
    const auto callbacks = printer.callbacks();
    const auto result = runWithSignals([&](Feedback& fb) { return train::resumeRun(dir, callbacks, fb); });
    printer.finished(result);
    exitIfCancelled(result);
}

json perClassJson(const train::ConfusionMatrix& cm, const std::vector<std::string>& classes) {
    json perClass = json::array();
    const auto per = cm.perClass();
    for (size_t c = 0; c < per.size(); ++c)
        perClass.push_back({{"class", classes[c]},
                            {"precision", per[c].precision},
                            {"recall", per[c].recall},
                            {"f1", per[c].f1},
                            {"support", per[c].support}});
    return perClass;
}

void printPerClass(const train::ConfusionMatrix& cm, const std::vector<std::string>& classes) {
    const auto per = cm.perClass();
    std::printf("\n%-24s %9s %9s %9s %8s\n", "class", "precision", "recall", "f1", "support");
    for (size_t c = 0; c < per.size(); ++c)
        std::printf("%-24s %9.4f %9.4f %9.4f %8lld\n", classes[c].c_str(), per[c].precision, per[c].recall, per[c].f1,
                    static_cast<long long>(per[c].support));
}

/// `tstudio eval`: train::evaluate (Evaluate.h) printed, by default on the
/// run's own validation split, with --data on a labelled folder.
void runEval(const std::string& modelPath, const std::string& dataDir, bool asJson) {
    const auto loaded = exporting::loadTrainedModel(modelPath);
    Feedback feedback;
    InterruptScope interrupts(feedback);
    const train::EvalReport r = train::evaluate(loaded, train::runFolderOf(modelPath), dataDir, &feedback);
    const std::vector<std::string>& modelClasses = r.classes;
    if (asJson) {
        json skipped = json::array();
        for (const auto& s : r.skipped) skipped.push_back({{"path", s.path}, {"reason", s.reason}});
        json out = {{"accuracy", r.heldOut.accuracy()},
                    {"images", r.heldOut.total()},
                    {"per_class", perClassJson(r.heldOut, modelClasses)},
                    {"confusion", r.heldOut.counts()},
                    {"classes", modelClasses},
                    {"source", train::toString(r.source)},
                    {"training_images_known", r.trainingImagesKnown},
                    {"training_images",
                     {{"images", r.trained.total()}, {"accuracy", r.trained.accuracy()}, {"confusion", r.trained.counts()}}},
                    {"warnings", r.warnings},
                    {"skipped", skipped},
                    {"loss", r.heldOutLoss},
                    {"loss_calibrated", r.heldOutLossCalibrated},
                    {"temperature", r.temperature},
                    {"ece", r.ece},
                    {"ece_uncalibrated", r.eceUncalibrated},
                    {"unknown_threshold", r.unknownThreshold},
                    {"unknown_rate", r.heldOut.total() > 0 ? double(r.heldOutUnknown) / double(r.heldOut.total()) : 0.0}};
        json misclassified = json::array();  // held-out images, highest loss first
        for (const auto& w : r.misclassified)
            misclassified.push_back({{"path", w.path},
                                     {"true", modelClasses[static_cast<size_t>(w.truth)]},
                                     {"predicted", modelClasses[static_cast<size_t>(w.predicted)]},
                                     {"confidence", w.confidence},
                                     {"loss", w.loss}});
        out["misclassified"] = misclassified;
        std::cout << out.dump(1) << '\n';
        return;
    }
    for (const auto& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    std::fflush(stderr);
    if (r.source == train::EvalSource::Manifest)
        std::printf("The run's validation split (%zu images in its manifest.json)\n", r.images);
    if (r.heldOut.total() > 0) {
        std::printf("Accuracy %.4f on %lld %simages\n", r.heldOut.accuracy(), static_cast<long long>(r.heldOut.total()),
                    r.trainingImages > 0 ? "held-out " : "");
        std::printf("Calibration: temperature %.3f, ECE (15 bins) %.4f uncalibrated, %.4f calibrated\n", r.temperature,
                    r.eceUncalibrated, r.ece);
        if (r.unknownThreshold > 0.0)
            std::printf("Unknown below a max probability of %.4f: %lld of %lld held-out images\n", r.unknownThreshold,
                        static_cast<long long>(r.heldOutUnknown), static_cast<long long>(r.heldOut.total()));
        printPerClass(r.heldOut, modelClasses);
        std::printf("\nConfusion matrix (rows: true class, columns: predicted class)\n%s",
                    confusionMatrixText(r.heldOut.counts(), modelClasses).c_str());
        if (r.misclassified.empty()) {
            std::printf("\nNo misclassified image.\n");
        } else {
            std::printf("\nMisclassified: %zu image(s), highest loss first\n%s", r.misclassified.size(),
                        misclassifiedText(r.misclassified, modelClasses, 20).c_str());
        }
    } else {
        std::printf("No held-out image to score%s.\n",
                    r.trainingImages > 0 ? ": every readable image is a training image" : "");
    }
    if (r.trained.total() > 0)
        std::printf("\nTraining images (not a measure of generalisation): accuracy %.4f on %lld images\n",
                    r.trained.accuracy(), static_cast<long long>(r.trained.total()));
    for (const auto& s : r.skipped) std::printf("skipped %s: %s\n", s.path.c_str(), s.reason.c_str());
}

} // namespace

void addTrainCommands(CLI::App& app) {
    auto a = std::make_shared<TrainArgs>();
    auto* train = app.add_subcommand("train", "Train a classifier on a folder of labelled images");
    addTrainOptions(train, *a);
    train->add_option("--epochs", a->epochs, "Epochs")->default_str(defaultOf("epochs"));
    train->add_option("--lr", a->lr, "Peak learning rate (the head's)")->default_str(defaultOf("lr"));
    train->add_option("--schedule", a->schedule, "constant | step | cosine | one-cycle")->default_str(defaultOf("schedule"));
    train->add_option("--step-epochs", a->stepEpochs, "Step schedule: decay every N epochs")
        ->default_str(defaultOf("step_epochs"));
    train->add_option("--step-gamma", a->stepGamma, "Step schedule: decay factor")->default_str(defaultOf("step_gamma"));
    train->add_option("--warmup-epochs", a->warmupEpochs, "Linear warm-up from lr/10, in epochs (0 = none)")
        ->default_str(defaultOf("warmup_epochs"));
    train->add_option("--grad-clip", a->gradClip, "Clip the gradient norm (0 = off)")->default_str(defaultOf("grad_clip_norm"));
    train->add_option("--label-smoothing", a->labelSmoothing, "Label smoothing in [0, 1)")
        ->default_str(defaultOf("label_smoothing"));
    train->add_option("--early-stopping-patience", a->patience, "Stop after N epochs without improvement (0 = off)")
        ->default_str(defaultOf("early_stopping_patience"));
    train->add_option("--early-stopping-metric", a->earlyStoppingMetric, "val_accuracy | val_loss")
        ->default_str(defaultOf("early_stopping_metric"));
    train->add_option("--out", a->out, "Run folder to create")->required();
    train->callback([a] { runTrain(*a); });

    auto lf = std::make_shared<TrainArgs>();
    auto lfOut = std::make_shared<LrFindOutput>();
    auto* lrFind = app.add_subcommand("lr-find", "Learning-rate range test: loss against learning rate, with a suggestion");
    addTrainOptions(lrFind, *lf);
    lrFind->add_option("--steps", lfOut->steps, "Batches to try")->default_val(100);
    lrFind->add_option("--out", lfOut->png,
                       "Plot to write (.png): loss against learning rate, log axis, the suggestion marked; a CSV "
                       "table goes beside it (same name, .csv) unless --csv names one");
    lrFind->add_option("--csv", lfOut->csv, "Table to write (.csv): step, lr, loss, suggested");
    lrFind->callback([lf, lfOut] { runLrFind(*lf, *lfOut); });

    auto resumeDir = std::make_shared<std::string>();
    auto resumeJson = std::make_shared<bool>(false);
    auto* resume = app.add_subcommand("resume", "Continue a run from its last complete epoch");
    resume->add_option("run_dir", *resumeDir, "The run folder")->required();
    resume->add_flag("--json", *resumeJson, "One JSON object per event on stdout");
    resume->callback([resumeDir, resumeJson] { runResume(*resumeDir, *resumeJson); });

    auto evalModel = std::make_shared<std::string>();
    auto evalData = std::make_shared<std::string>();
    auto evalJson = std::make_shared<bool>(false);
    auto* eval = app.add_subcommand("eval", "Evaluate a trained model: on its run's validation split, or a labelled folder");
    eval->add_option("--model", *evalModel, "Run folder or .tsb bundle")->required();
    eval->add_option("--data", *evalData,
                     "Labelled folder (its val/ split when it has one); images the model was trained on are scored "
                     "separately. Default: the run's own validation split (manifest.json)");
    eval->add_flag("--json", *evalJson, "Print JSON");
    eval->callback([=] { runEval(*evalModel, *evalData, *evalJson); });
}

} // namespace ts::cli
