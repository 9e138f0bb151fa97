// tstudio weights download | import: filling the weights cache.
#include "app/cli/Cli.h"
#include "app/cli/Interrupt.h"

#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/weights/Download.h"
#include "core/weights/Pretrained.h"
#include "core/zoo/Registry.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;

namespace ts::cli {
namespace {

std::string megabytes(int64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return buf;
}

void download(const std::string& arch, bool force) {
    const auto& info = zoo::modelInfo(arch);
    const std::string dest = weights::cachedWeightsPath(arch);
    if (!dest.empty() && fs::exists(dest)) {
        if (!force) {
            std::cout << arch << ": already in the cache: " << dest << '\n';
            return;
        }
        fs::remove(dest);
    }
    Feedback feedback;
    weights::DownloadOptions options;
    const std::string name = info.weightsUrl.substr(info.weightsUrl.rfind('/') + 1);
    options.onProgress = [&](const weights::DownloadProgress& p) {
        std::string line = "\rDownloading " + name + ": " + megabytes(p.bytes);
        if (p.totalBytes > 0) {
            line += " / " + megabytes(p.totalBytes);
            char pct[16];
            std::snprintf(pct, sizeof pct, " (%3.0f%%)", 100.0 * static_cast<double>(p.bytes) / static_cast<double>(p.totalBytes));
            line += pct;
        }
        line += ", " + megabytes(static_cast<int64_t>(p.bytesPerSecond)) + "/s   ";
        std::cerr << line << std::flush;
    };
    InterruptScope interrupts(feedback);
    try {
        const std::string path = weights::downloadOfficialWeights(arch, &feedback, options);
        std::cerr << '\n';
        std::cout << arch << ": " << path << '\n';
    } catch (const Cancelled&) {
        std::cerr << "\nDownload interrupted; run the same command again to resume it.\n";
        throw;
    } catch (...) {
        std::cerr << '\n';
        throw;
    }
}

void importWeights(const std::string& file, const std::string& arch, bool force) {
    // The CLI's own wording for the two refusals (they name its flags); the
    // check, the strict load and the atomic copy are weights::importWeightsIntoCache().
    const std::string dest = weights::cachedWeightsPath(arch);
    if (dest.empty())
        throw ConfigError("The " + arch + " architecture has no official weights, so the cache has no place for "
                          "them; pass the file directly with --weights " + file + ".");
    if (fs::exists(dest) && !force)
        throw ConfigError("The cache already holds " + arch + " weights at '" + dest +
                          "'. Pass --force to replace them with '" + file + "'.");
    const weights::ImportResult result = weights::importWeightsIntoCache(file, arch, force);
    std::cout << arch << ": imported " << result.tensors << " tensors from " << file << " as " << result.path << '\n';
}

} // namespace

void addWeightsCommands(CLI::App& app) {
    auto* group = app.add_subcommand("weights", "Fill the pretrained-weights cache ($TORCH_HOME/hub/checkpoints)");
    group->require_subcommand(1);

    struct DownloadArgs {
        std::string arch;
        bool force = false;
    };
    auto d = std::make_shared<DownloadArgs>();
    auto* dl = group->add_subcommand("download", "Download an architecture's official ImageNet weights (resumable)");
    dl->add_option("arch", d->arch, "Architecture, see `tstudio models`")->required();
    dl->add_flag("--force", d->force, "Download again even when the file is cached");
    dl->callback([d] { download(d->arch, d->force); });

    struct ImportArgs {
        std::string file;
        std::string arch;
        bool force = false;
    };
    auto i = std::make_shared<ImportArgs>();
    auto* im = group->add_subcommand("import", "Check a downloaded .pth or .safetensors file against an architecture and copy it into the cache");
    im->add_option("file", i->file, "Weights file (.pth or .safetensors) for ARCH")->required()->check(CLI::ExistingFile);
    im->add_option("--arch", i->arch, "Architecture the file belongs to")->required();
    im->add_flag("--force", i->force, "Replace weights already in the cache");
    im->callback([i] { importWeights(i->file, i->arch, i->force); });
}

} // namespace ts::cli
