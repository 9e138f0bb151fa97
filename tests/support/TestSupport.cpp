#include "tests/support/TestSupport.h"

#include "core/weights/StateDict.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <random>
#include <stdexcept>
#include <sys/wait.h>

namespace fs = std::filesystem;

namespace ts::test {

TempDir::TempDir(const std::string& prefix) {
    std::random_device rd;
    for (int i = 0; i < 100; ++i) {
        const fs::path p = fs::temp_directory_path() / (prefix + "-" + std::to_string(rd()));
        if (fs::create_directory(p)) {
            m_path = p.string();
            return;
        }
    }
    throw std::runtime_error("cannot create a temp dir");
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!std::getenv("TS_KEEP_TEST_FILES")) fs::remove_all(m_path, ec);
}

std::string sharedDir() {
    if (const char* env = std::getenv("TS_SHARED_DIR")) return fs::exists(env) ? std::string(env) : std::string();
    const fs::path p = fs::path(TS_SOURCE_DIR).parent_path() / "shared";
    return fs::exists(p / "weights") || fs::exists(p / "data") ? p.string() : std::string();
}

std::string referencePython() {
    static const std::string cached = [] {
        const std::string py = TS_REFERENCE_PYTHON_PATH;
        if (py.empty() || !fs::exists(py)) return std::string();
        return runCommand(shellQuote(py) + " -c 'import torch, torchvision' 2>/dev/null") == 0 ? py : std::string();
    }();
    return cached;
}

std::string pythonScript(const std::string& name) { return std::string(TS_SOURCE_DIR) + "/tests/python/" + name; }

std::string shellQuote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

int runCommand(const std::string& command, std::string* output) {
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return -1;
    std::array<char, 4096> buf{};
    std::string out;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
    const int status = ::pclose(pipe);
    if (output) *output = out;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string binaryPath(const std::string& name) { return std::string(TS_BINARY_DIR) + "/bin/" + name; }

std::vector<std::pair<std::string, at::Tensor>> readTensorFile(const std::string& path) {
    return weights::readStateDict(path);
}

at::Tensor tensorNamed(const std::vector<std::pair<std::string, at::Tensor>>& all, const std::string& name) {
    for (const auto& [k, v] : all)
        if (k == name) return v;
    throw std::runtime_error("no tensor '" + name + "' in reference file");
}

} // namespace ts::test

#include "core/data/ImageIO.h"

#include <opencv2/imgproc.hpp>

namespace ts::test {

void makeSyntheticDataset(const std::string& root, int classes, int perClass, int size, unsigned seed,
                          bool trainValFolders, int valPerClass) {
    static const cv::Scalar colours[] = {{220, 40, 40}, {40, 80, 220}, {40, 190, 60}, {230, 200, 30}, {160, 40, 200}};
    cv::RNG rng(seed);
    auto draw = [&](int k) {
        cv::Mat img(size, size, CV_8UC3);
        rng.fill(img, cv::RNG::UNIFORM, cv::Scalar::all(90), cv::Scalar::all(170));
        const int r = size / 6 + rng.uniform(0, size / 8);
        const cv::Point c(rng.uniform(r, size - r), rng.uniform(r, size - r));
        const cv::Scalar col = colours[k % 5];
        switch (k % 3) {
        case 0: cv::circle(img, c, r, col, -1); break;
        case 1: cv::rectangle(img, {c.x - r, c.y - r}, {c.x + r, c.y + r}, col, -1); break;
        default: {
            std::vector<cv::Point> tri = {{c.x, c.y - r}, {c.x - r, c.y + r}, {c.x + r, c.y + r}};
            cv::fillConvexPoly(img, tri, col);
        }
        }
        return img;
    };
    auto writeSet = [&](const std::string& dir, int count) {
        for (int k = 0; k < classes; ++k) {
            const std::string classDir = dir + "/class_" + std::string(1, static_cast<char>('a' + k));
            fs::create_directories(classDir);
            for (int i = 0; i < count; ++i) data::savePng(draw(k), classDir + "/img_" + std::to_string(i) + ".png");
        }
    };
    if (trainValFolders) {
        writeSet(root + "/train", perClass);
        writeSet(root + "/val", valPerClass);
    } else {
        writeSet(root, perClass);
    }
}

int shellStatus(const std::string& command, std::string* output) {
    std::string out;
    runCommand("{ (" + command + ") 2>&1; echo \"status=$?\"; }", &out);
    if (output) *output = out;
    const auto at = out.rfind("status=");
    return at == std::string::npos ? -1 : std::atoi(out.c_str() + at + 7);
}

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<nlohmann::json> metricsRows(const std::string& runDir) {
    std::vector<nlohmann::json> rows;
    std::ifstream in(runDir + "/metrics.jsonl");
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
    return rows;
}

std::vector<std::string> csvWithoutSeconds(const std::string& runDir) {
    std::vector<std::string> out;
    std::ifstream in(runDir + "/metrics.csv");
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line.substr(0, line.rfind(',')));
    return out;
}

} // namespace ts::test
