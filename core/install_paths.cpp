#include "core/install_paths.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace fs = std::filesystem;

namespace distillery {

namespace {

bool isDir(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec);
}

bool isFile(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

std::string normalised(const fs::path& p) {
    std::error_code ec;
    const fs::path c = fs::weakly_canonical(p, ec);
    return ec ? p.lexically_normal().string() : c.string();
}

std::string environment(const char* name) {
    const char* value = std::getenv(name);
    return value && *value ? std::string(value) : std::string();
}

#ifndef DISTILLERY_DATA_FROM_BIN
#define DISTILLERY_DATA_FROM_BIN "../share"
#endif

/** The data folder (prefix/share) of an installed program: the install's data folder as seen from its bin
 *  folder (CMake's CMAKE_INSTALL_DATADIR relative to CMAKE_INSTALL_BINDIR, or absolute); empty when the
 *  program is not installed (no distillery folder there). */
fs::path installedShare() {
    const std::string exe = executableDir();
    if (exe.empty()) return {};
    const fs::path data(DISTILLERY_DATA_FROM_BIN);
    const fs::path share = (data.is_absolute() ? data : fs::path(exe) / data).lexically_normal();
    return isDir(share / "distillery") ? share : fs::path();
}

/** The source tree of a build tree's program: the build folder (the program's folder or up to three above it)
 *  holds distillery_source_tree, a file naming it. An installed copy has none, so it never reads the sources.
 */
const fs::path& sourceTree() {
    static const fs::path tree = [] {
        const std::string exe = executableDir();
        if (exe.empty()) return fs::path();
        fs::path dir(exe);
        for (int up = 0; up < 4 && !dir.empty(); ++up, dir = dir.parent_path()) {
            std::ifstream marker(dir / "distillery_source_tree");
            std::string line;
            if (marker && std::getline(marker, line) && !line.empty() && isDir(line)) return fs::path(line);
            if (dir == dir.parent_path()) break;
        }
        return fs::path();
    }();
    return tree;
}

}  // namespace

std::string executableDir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : exe.parent_path().string();
}

std::string resourcesDir() {
    std::vector<fs::path> candidates;
    if (const std::string env = environment("DISTILLERY_RESOURCES_DIR"); !env.empty())
        candidates.push_back(env);
    if (const fs::path share = installedShare(); !share.empty())
        candidates.push_back(share / "distillery" / "resources");
    if (!sourceTree().empty()) candidates.push_back(sourceTree() / "resources");
    for (const auto& c : candidates)
        if (isDir(c / "recipes")) return normalised(c);
    return {};
}

std::string cliProgram() {
    if (const std::string env = environment("DISTILLERY_CLI"); !env.empty()) return env;
    const fs::path exe = executableDir();
    if (exe.empty()) return {};
    for (const fs::path& candidate : {exe / "distillery-cli", exe.parent_path() / "distillery-cli"})
        if (isFile(candidate) && ::access(candidate.c_str(), X_OK) == 0) return normalised(candidate);
    return {};
}

std::string ortRunnerDir() {
    if (const std::string env = environment("DISTILLERY_ORT_DIR"); !env.empty()) return env;
    if (const fs::path share = installedShare();
        !share.empty() && isFile(share / "distillery" / "ort" / "run.js"))
        return normalised(share / "distillery" / "ort");
    if (!sourceTree().empty()) return (sourceTree() / "scripts" / "ort").string();
    return "scripts/ort";
}

std::string documentationDir() {
    std::vector<fs::path> candidates;
    // share/distillery/doc rather than share/doc: minimal systems drop /usr/share/doc at install time.
    if (const fs::path share = installedShare(); !share.empty()) {
        candidates.push_back(share / "distillery" / "doc");
        candidates.push_back(share / "doc" / "distillery");
    }
    if (!sourceTree().empty()) candidates.push_back(sourceTree());
    for (const auto& c : candidates)
        if (isFile(c / "README.md")) return normalised(c);
    return {};
}

std::string shippedRecipePath(const std::string& name) {
    if (name.empty() || name.find('/') != std::string::npos || name.front() == '.') return {};
    const std::string dir = resourcesDir();
    if (dir.empty()) return {};
    const fs::path file = fs::path(dir) / "recipes" / name;
    if (file.extension() == ".yaml" && isFile(file)) return file.string();
    fs::path withExtension = file;
    withExtension += ".yaml";
    return isFile(withExtension) ? withExtension.string() : std::string();
}

std::vector<std::string> shippedRecipeNames() {
    std::vector<std::string> names;
    const std::string dir = resourcesDir();
    if (dir.empty()) return names;
    std::error_code ec;
    for (fs::directory_iterator it(fs::path(dir) / "recipes", ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".yaml" && isFile(it->path()))
            names.push_back(it->path().stem().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace distillery
