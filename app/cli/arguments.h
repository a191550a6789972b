#pragma once
// The options of one sub-command, parsed strictly: anything unknown, missing or malformed is an Error whose
// message names the command and the option.

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"

namespace distillery::cli {

class Arguments {
public:
    /**
     * Parses `args` (everything after the command). `flags` take no value; `options` take one, given as
     * `--name value` or `--name=value`. A lone `--` ends the options.
     */
    Arguments(std::string command, const std::vector<std::string>& args,
              const std::vector<std::string>& flags, const std::vector<std::string>& options);

    bool has(const std::string& name) const;
    /** The last value given for an option, if any. */
    std::optional<std::string> value(const std::string& name) const;
    /** Every value given for a repeatable option, in order. */
    std::vector<std::string> values(const std::string& name) const;
    std::string required(const std::string& name, const std::string& what) const;
    int64_t integer(const std::string& name, int64_t fallback, int64_t minimum = 0,
                    int64_t maximum = std::numeric_limits<int64_t>::max()) const;
    double number(const std::string& name, double fallback) const;
    std::string choice(const std::string& name, const std::string& fallback,
                       const std::vector<std::string>& allowed) const;

    /** Checks that exactly the named positional arguments were given and returns them. */
    std::vector<std::string> positionals(const std::vector<std::string>& names) const;

    /** An Error whose message starts with the command. */
    Error error(const std::string& message) const;

private:
    std::string mCommand;
    std::map<std::string, std::vector<std::string>> mValues;
    std::vector<std::string> mPositionals;
};

/** Parses a whole decimal integer; throws Error naming `what` for anything else. */
int64_t parseInteger(const std::string& text, const std::string& what, int64_t minimum,
                     int64_t maximum = std::numeric_limits<int64_t>::max());

}  // namespace distillery::cli
