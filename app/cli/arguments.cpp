#include "app/cli/arguments.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace distillery::cli {

namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

std::string joined(const std::vector<std::string>& items, const std::string& separator) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i)
        out += (i ? separator : "") + items[i];
    return out;
}

}  // namespace

int64_t parseInteger(const std::string& text, const std::string& what, int64_t minimum, int64_t maximum) {
    int64_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end) {
        if (ec == std::errc::result_out_of_range) throw Error(what + ": " + text + " is out of range");
        throw Error(what + ": expected an integer, got '" + text + "'");
    }
    if (value < minimum)
        throw Error(what + ": must be at least " + std::to_string(minimum) + ", got " + text);
    if (value > maximum) throw Error(what + ": must be at most " + std::to_string(maximum) + ", got " + text);
    return value;
}

Arguments::Arguments(std::string command, const std::vector<std::string>& args,
                     const std::vector<std::string>& flags, const std::vector<std::string>& options)
    : mCommand(std::move(command)) {
    bool optionsEnded = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (optionsEnded || arg.size() < 2 || arg[0] != '-') {
            mPositionals.push_back(arg);
            continue;
        }
        if (arg == "--") {
            optionsEnded = true;
            continue;
        }
        const auto eq = arg.find('=');
        const std::string name = arg.substr(0, eq);
        if (contains(flags, name)) {
            if (eq != std::string::npos) throw error(name + " takes no value");
            mValues[name];
        } else if (contains(options, name)) {
            if (eq != std::string::npos) {
                mValues[name].push_back(arg.substr(eq + 1));
            } else if (i + 1 < args.size() && !contains(flags, args[i + 1]) &&
                       !contains(options, args[i + 1])) {
                mValues[name].push_back(args[++i]);
            } else {
                throw error(name + " needs a value");
            }
        } else {
            throw error("unknown option '" + name + "'");
        }
    }
}

Error Arguments::error(const std::string& message) const {
    return Error(mCommand + ": " + message);
}

bool Arguments::has(const std::string& name) const {
    return mValues.count(name) > 0;
}

std::optional<std::string> Arguments::value(const std::string& name) const {
    auto it = mValues.find(name);
    if (it == mValues.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
}

std::vector<std::string> Arguments::values(const std::string& name) const {
    auto it = mValues.find(name);
    return it == mValues.end() ? std::vector<std::string>{} : it->second;
}

std::string Arguments::required(const std::string& name, const std::string& what) const {
    auto v = value(name);
    if (!v) throw error("missing " + name + " " + what);
    if (v->empty()) throw error(name + " needs a non-empty value");
    return *v;
}

int64_t Arguments::integer(const std::string& name, int64_t fallback, int64_t minimum,
                           int64_t maximum) const {
    auto v = value(name);
    if (!v) return fallback;
    try {
        return parseInteger(*v, name, minimum, maximum);
    } catch (const Error& e) {
        throw error(e.what());
    }
}

double Arguments::number(const std::string& name, double fallback) const {
    auto v = value(name);
    if (!v) return fallback;
    // strtod rather than from_chars<double>: the latter is missing from some standard libraries still in use.
    errno = 0;
    char* end = nullptr;
    const double result = std::strtod(v->c_str(), &end);
    if (v->empty() || end != v->c_str() + v->size() || errno == ERANGE || !std::isfinite(result))
        throw error(name + ": expected a number, got '" + *v + "'");
    return result;
}

std::string Arguments::choice(const std::string& name, const std::string& fallback,
                              const std::vector<std::string>& allowed) const {
    auto v = value(name);
    if (!v) return fallback;
    if (!contains(allowed, *v))
        throw error(name + ": expected " + joined(allowed, " or ") + ", got '" + *v + "'");
    return *v;
}

std::vector<std::string> Arguments::positionals(const std::vector<std::string>& names) const {
    if (mPositionals.size() > names.size())
        throw error("unexpected argument '" + mPositionals[names.size()] + "'");
    if (mPositionals.size() < names.size()) throw error("missing " + names[mPositionals.size()]);
    return mPositionals;
}

}  // namespace distillery::cli
