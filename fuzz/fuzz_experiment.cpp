// libFuzzer target: an experiment folder's two files. The input is
// experiment.json, a NUL byte, then trials.json (no NUL: trials.json is
// missing). Both go into a scratch experiment folder and through
// experiment::loadExperiment (what `experiment compare`, `resume` and the
// report read). What it accepts must work: every trial's config builds, the
// index written back by saveTrials loads again to the same trials, and
// compare (no run folder exists) lists every trial.
#include "core/experiment/Experiment.h"
#include "fuzz/FuzzSupport.h"

#include <cstdint>
#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;

const std::string& scratchDir() {
    static const std::string dir = [] {
        const std::string d = fs::temp_directory_path().string() + "/ts-fuzz-experiment-" + std::to_string(::getpid());
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

void put(const std::string& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ts;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const size_t nul = input.find('\0');
    const std::string& dir = scratchDir();
    std::error_code ec;
    fs::remove(dir + "/trials.json", ec);
    put(dir + "/experiment.json", input.substr(0, nul));
    if (nul != std::string_view::npos) put(dir + "/trials.json", input.substr(nul + 1));

    experiment::Experiment ex;
    const bool loaded = fuzz::readsOrRefuses(dir, [&] { ex = experiment::loadExperiment(dir); });
    if (!loaded) return 0;
    if (ex.trials.empty()) fuzz::die("loadExperiment accepted an experiment without trials");
    for (const auto& t : ex.trials) {
        try {
            (void)ex.configOf(t);
        } catch (const Error& e) {
            fuzz::die("trial " + fuzz::shown(t.id) + " was accepted but its config does not build: " + e.what());
        }
    }
    try {
        experiment::saveTrials(ex);
        const experiment::Experiment again = experiment::loadExperiment(dir);
        if (again.trials.size() != ex.trials.size()) fuzz::die("trials.json written back lists other trials");
        for (size_t i = 0; i < ex.trials.size(); ++i)
            if (again.trials[i].id != ex.trials[i].id || again.trials[i].params != ex.trials[i].params ||
                again.trials[i].status != ex.trials[i].status)
                fuzz::die("trial " + fuzz::shown(ex.trials[i].id) + " changed when written back");
        if (experiment::compareExperiment(dir).size() != ex.trials.size())
            fuzz::die("compare does not list every trial");
    } catch (const Error& e) {
        fuzz::die(std::string("an accepted experiment fails when written back or compared: ") + e.what());
    }
    return 0;
}
