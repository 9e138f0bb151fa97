// tstudio experiment run | resume | compare (core/experiment/Experiment.h)
#include "app/cli/Cli.h"
#include "app/cli/Interrupt.h"
#include "app/cli/Progress.h"

#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/experiment/Experiment.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

using nlohmann::json;

namespace ts::cli {
namespace {

/// "lr=0.001 freeze=none".
std::string paramsText(const json& params) {
    std::string out;
    for (const auto& item : params.items()) {
        const auto& v = item.value();
        out += (out.empty() ? "" : " ") + item.key() + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    return printable(out, 200);
}

std::string fixed4(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return buf;
}

uint64_t parseSearchSeed(const std::string& text) {
    uint64_t v = 0;
    bool ok = !text.empty() && text.size() <= 20;
    for (char ch : text) {
        if (!ok) break;
        const uint64_t digit = static_cast<uint64_t>(ch - '0');
        if (ch < '0' || ch > '9' || v > (UINT64_MAX - digit) / 10) ok = false;
        else v = v * 10 + digit;
    }
    if (!ok)
        throw ConfigError("--seed must be a whole number from 0 to 18446744073709551615 (got \"" + printable(text, 40) +
                          "\").");
    return v;
}

/// Progress of an experiment: per trial (its state changes) and, inside a
/// trial, the training run's own progress and log lines; with --json one
/// object per event on stdout, each naming its trial.
class ExperimentPrinter {
public:
    explicit ExperimentPrinter(bool asJson) : m_json(asJson), m_train(asJson) {
        if (!m_json) {
            m_trainer = m_train.callbacks();
            return;
        }
        m_trainer.batchIntervalMs = 500;
        m_trainer.onEpoch = [this](const train::EpochRecord& e) {
            json row = e.toJson();
            row["event"] = "epoch";
            row["trial"] = m_trial;
            print(row);
        };
        m_trainer.onBatch = [this](const train::BatchEvent& e) {
            json row = batchEventJson(e);
            row["trial"] = m_trial;
            print(row);
        };
        m_trainer.onProgress = [this](const train::ProgressEvent& e) {
            json row = progressEventJson(e);
            row["trial"] = m_trial;
            print(row);
        };
        m_trainer.onLog = [this](const std::string& line) { logLine(line); };
    }

    experiment::ExperimentCallbacks callbacks() {
        experiment::ExperimentCallbacks cb;
        cb.trainer = &m_trainer;
        cb.onTrial = [this](const experiment::TrialEvent& e) { trial(e); };
        cb.onLog = [this](const std::string& line) { logLine(line); };
        return cb;
    }

    void finished(const std::string& dir, const experiment::ExperimentResult& r) {
        if (m_json) {
            print({{"event", r.cancelled ? "experiment_cancelled" : "experiment_finished"},
                   {"exp_dir", dir},
                   {"finished", r.finished},
                   {"stopped", r.stopped},
                   {"failed", r.failed},
                   {"pending", r.pending}});
            return;
        }
        std::fflush(stdout);
        if (r.cancelled) {
            std::fprintf(
                stderr,
                "Experiment cancelled: finished trials are kept; continue with `tstudio experiment resume %s`.\n",
                dir.c_str());
            return;
        }
        std::fprintf(stderr, "Experiment finished: %d finished, %d stopped by successive halving, %d failed.\n",
                     r.finished, r.stopped, r.failed);
    }

private:
    void print(const json& j) { std::cout << j.dump() << std::endl; }

    void logLine(const std::string& line) {
        if (m_json) {
            json j = {{"event", "log"}, {"message", line}};
            if (!m_trial.empty()) j["trial"] = m_trial;
            print(j);
            return;
        }
        m_trainer.onLog(line);
    }

    void trial(const experiment::TrialEvent& e) {
        using Kind = experiment::TrialEvent::Kind;
        const auto& t = e.trial;
        m_trial = t.id;
        if (m_json) {
            json j = {{"trial", t.id},      {"index", e.index}, {"total", e.total},   {"params", t.params},
                      {"rung", e.rung + 1}, {"rungs", e.rungs}, {"run_dir", t.runDir}};
            switch (e.kind) {
            case Kind::Started:
                j["event"] = "trial_started";
                j["until_epoch"] = e.untilEpoch;
                j["resumed"] = e.resumed;
                break;
            case Kind::Paused:
            case Kind::Finished:
                j["event"] = e.kind == Kind::Finished ? "trial_finished" : "trial_paused";
                j["best_val_accuracy"] = e.result.bestValAccuracy;
                j["best_epoch"] = e.result.bestEpoch;
                j["epochs_run"] = e.result.epochsRun;
                j["feature_cache"] = t.featureCache;
                j["seconds"] = t.seconds;
                break;
            case Kind::Stopped:
                j["event"] = "trial_stopped";
                j["stopped_at_epoch"] = t.stoppedAtEpoch;
                j["reason"] = t.reason;
                break;
            case Kind::Failed:
                j["event"] = "trial_failed";
                j["error"] = t.error;
                break;
            }
            print(j);
            return;
        }
        char head[96];
        std::snprintf(head, sizeof head, "[%d/%d] trial %s", e.index, e.total, t.id.c_str());
        std::string rung = e.rungs > 1 ? ", rung " + std::to_string(e.rung + 1) + " of " + std::to_string(e.rungs) : "";
        std::string line;
        switch (e.kind) {
        case Kind::Started:
            line = std::string(head) + " (" + paramsText(t.params) + "): " + (e.resumed ? "resumed" : "started") +
                   rung + ", until epoch " + std::to_string(e.untilEpoch);
            break;
        case Kind::Paused:
            line = std::string(head) + ": reached epoch " + std::to_string(e.result.epochsRun) +
                   " (best val accuracy so far " + fixed4(e.result.bestValAccuracy) + "); ranked when the rung ends";
            break;
        case Kind::Finished:
            line = std::string(head) + ": finished, best val accuracy " + fixed4(e.result.bestValAccuracy) +
                   " (epoch " + std::to_string(e.result.bestEpoch) + ")";
            break;
        case Kind::Stopped:
            line = std::string(head) + ": stopped after epoch " + std::to_string(t.stoppedAtEpoch) + ", " + t.reason;
            break;
        case Kind::Failed: line = std::string(head) + ": failed: " + t.error; break;
        }
        m_trainer.onLog(line);
    }

    bool m_json;
    TrainEventPrinter m_train;
    train::TrainerCallbacks m_trainer;
    std::string m_trial;
};

struct RunArgs {
    std::string config, out, preset, seed = "0";
    std::vector<std::string> grid;
    int random = 0, halving = 0;
    bool json = false;
    const CLI::App* cmd = nullptr;
};

void printTable(const std::vector<experiment::CompareRow>& rows) {
    std::printf("%-6s %-9s %9s %6s %8s %9s %9s %11s  %s\n", "trial", "status", "best acc", "epoch", "epochs", "seconds",
                "img/s", "trainable", "params");
    for (const auto& r : rows) {
        const std::string acc = r.hasMetrics ? fixed4(r.bestValAccuracy) : "-";
        const std::string epoch = r.hasMetrics ? std::to_string(r.bestEpoch) : "-";
        const std::string epochs = std::to_string(r.epochsDone) + "/" + std::to_string(r.epochs);
        std::printf("%-6s %-9s %9s %6s %8s %9.1f %9.1f %11lld  %s\n", r.id.c_str(),
                    experiment::toString(r.status).c_str(), acc.c_str(), epoch.c_str(), epochs.c_str(), r.seconds,
                    r.imagesPerSecond, static_cast<long long>(r.trainableParameters), paramsText(r.params).c_str());
    }
    for (const auto& r : rows) {
        if (r.status == experiment::TrialStatus::Failed) std::printf("%s failed: %s\n", r.id.c_str(), r.error.c_str());
        if (r.status == experiment::TrialStatus::Stopped)
            std::printf("%s stopped after epoch %d: %s\n", r.id.c_str(), r.stoppedAtEpoch, r.reason.c_str());
    }
}

void printCompare(const std::string& dir, bool asJson) {
    const auto rows = experiment::compareExperiment(dir);
    if (asJson) {
        json runs = json::array();
        for (const auto& r : rows) runs.push_back(experiment::toJson(r));
        std::cout << json({{"exp_dir", dir}, {"runs", runs}}).dump(1) << '\n';
        return;
    }
    printTable(rows);
}

/// Runs (or continues) the experiment in `dir`; a cancel exits 130.
void runIn(const std::string& dir, bool asJson) {
    ExperimentPrinter printer(asJson);
    const auto callbacks = printer.callbacks();
    Feedback feedback;
    experiment::ExperimentResult result;
    {
        InterruptScope interrupts(feedback);
        result = experiment::runExperiment(dir, callbacks, feedback);
    }
    printer.finished(dir, result);
    if (result.cancelled) throw ExitRequest(kExitCancelled);
    if (!asJson) printCompare(dir, false);
    // Every trial failed: nothing to compare, and the status says so.
    if (result.failed > 0 && result.finished == 0 && result.stopped == 0) throw ExitRequest(1);
}

void runExperimentCommand(const RunArgs& a) {
    experiment::ExperimentSpec spec;
    if (a.config.empty())
        throw ConfigError("--config BASE.json is required: the training config every trial starts from.");
    spec.base = train::loadTrainConfig(a.config);
    for (const auto& g : a.grid) spec.axes.push_back(experiment::parseAxis(g, "--grid \"" + printable(g, 80) + "\""));
    const bool randomGiven = a.cmd->count("--random") > 0;
    if (!a.preset.empty()) {
        if (randomGiven) throw ConfigError("--preset sets its own trials; it cannot be combined with --random.");
        spec.mode = experiment::SearchMode::Preset;
        spec.preset = a.preset;
    } else if (randomGiven) {
        spec.mode = experiment::SearchMode::Random;
        spec.randomTrials = a.random;
    }
    if (a.cmd->count("--seed") > 0) {
        if (spec.mode != experiment::SearchMode::Random)
            throw ConfigError("--seed is the seed of --random N; the training seed is an axis (--grid seed=1,2,3) or "
                              "\"seed\" in the base config.");
        spec.seed = parseSearchSeed(a.seed);
    }
    spec.halvingEta = a.halving;
    // Every trial's config is checked before the folder is created.
    const auto trials = experiment::expandTrials(spec);
    experiment::createExperiment(spec, trials, a.out);
    runIn(a.out, a.json);
}

}  // namespace

void addExperimentCommands(CLI::App& app) {
    auto* exp = app.add_subcommand("experiment", "Run, resume and compare experiments: many trials of a base config");
    exp->require_subcommand(1);
    exp->footer("An experiment is a folder: experiment.json (the base config, the axes), trials.json (each trial's "
                "state), runs/<id>/ (one ordinary run per trial) and cache/ (feature caches the trials share). "
                "Usage and the folder format: docs/experiments.md.");

    auto a = std::make_shared<RunArgs>();
    auto* run = exp->add_subcommand("run", "Run the trials of a grid, a random search or a preset, one after another");
    a->cmd = run;
    run->add_option("--config", a->config, "Base TrainConfig JSON (or .tsproj): every trial starts from it")
        ->required();
    run->add_option("--grid", a->grid,
                    "KEY=V1,V2[,...]: an axis (repeatable); KEY is a config key, dotted for nested ones (lr, freeze, "
                    "augment.preset, arch, batch_size, epochs, head_hidden_units, ...). With --random a numeric key "
                    "may take a range LO:HI or LO:HI:log (e.g. lr=1e-4:1e-2:log)");
    run->add_option("--random", a->random,
                    "N trials drawn at random: distinct points of the grid, or samples of the ranges");
    run->add_option("--seed", a->seed, "Seed of --random (not the training seed)")->default_str("0");
    run->add_option("--halving", a->halving,
                    "Successive halving with ETA (e.g. 3): trials train in rungs and only the best 1/ETA continue "
                    "after each; the others are recorded as stopped");
    run->add_option("--preset", a->preset,
                    "seed-strategies: feature extraction without augmentation, with the standard augmentation, and "
                    "last:2 fine-tuning (standard augmentation) at a tenth of the base lr");
    run->add_option("--out", a->out, "Experiment folder to create (or the same experiment to continue)")->required();
    run->add_flag("--json", a->json, "One JSON object per event on stdout");
    run->footer("A value is checked as config.json checks it; an unknown key, a value the key cannot take or an empty "
                "grid is an error before anything is created. Ctrl-C stops cleanly: continue with `tstudio experiment "
                "resume EXP_DIR`. A trial that fails is recorded with its error and the next one runs.");
    run->callback([a] { runExperimentCommand(*a); });

    auto resumeDir = std::make_shared<std::string>();
    auto resumeJson = std::make_shared<bool>(false);
    auto* resume = exp->add_subcommand("resume", "Continue an interrupted experiment: finished trials are kept, the "
                                                 "running one resumes from its last epoch, pending ones run");
    resume->add_option("exp_dir", *resumeDir, "The experiment folder")->required();
    resume->add_flag("--json", *resumeJson, "One JSON object per event on stdout");
    resume->callback([resumeDir, resumeJson] {
        (void)experiment::loadExperiment(*resumeDir);  // an experiment folder, or a clear error
        runIn(*resumeDir, *resumeJson);
    });

    auto compareDir = std::make_shared<std::string>();
    auto compareJson = std::make_shared<bool>(false);
    auto* compare = exp->add_subcommand("compare", "One row per trial, best first: status, best val accuracy, cost");
    compare->add_option("exp_dir", *compareDir, "The experiment folder")->required();
    compare->add_flag("--json", *compareJson,
                      "Print {\"runs\": [{\"id\", \"run_dir\", \"params\", \"status\", \"error\", "
                      "\"best_val_accuracy\", \"best_epoch\", \"seconds\", \"images_per_second\", "
                      "\"trainable_parameters\", ...}]}");
    compare->callback([compareDir, compareJson] { printCompare(*compareDir, *compareJson); });
}

}  // namespace ts::cli
