// Problems and typed reading of one TOML table; each message names the key, what is wrong and
// what would be right.

#include "config/reader.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "config/plan.hpp"

namespace bulkhead::config::detail {

void Problems::add(SourcePosition where, std::string message) {
    list_.push_back(Problem{file_, where.line, where.column, std::move(message)});
}

void Problems::add_warning(SourcePosition where, std::string message) {
    list_.push_back(Problem{file_, where.line, where.column, std::move(message), true});
}

bool Problems::has_errors() const {
    return std::any_of(list_.begin(), list_.end(), [](const Problem& p) { return !p.warning; });
}

std::vector<Problem> Problems::take_sorted() {
    std::stable_sort(list_.begin(), list_.end(), [](const Problem& a, const Problem& b) {
        return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    return std::move(list_);
}

SourcePosition position_of(const toml::node& node, SourcePosition fallback) {
    const auto& begin = node.source().begin;
    if (begin.line == 0) {
        return fallback;
    }
    return SourcePosition{begin.line, begin.column};
}

std::string quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(c));
            out += escaped;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string describe_value(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string:
            return quote(node.as_string()->get());
        case toml::node_type::integer:
            return std::to_string(node.as_integer()->get());
        case toml::node_type::floating_point:
            return "the number " + std::to_string(node.as_floating_point()->get());
        case toml::node_type::boolean:
            return node.as_boolean()->get() ? "true" : "false";
        case toml::node_type::array:
            return node.as_array()->empty() ? "[]" : "an array";
        case toml::node_type::table:
            return "a table";
        default:
            return "a date or time";
    }
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string join(std::initializer_list<std::string_view> items) {
    std::string out;
    for (auto item : items) {
        out += out.empty() ? "" : ", ";
        out += item;
    }
    return out;
}

}  // namespace

std::optional<std::string_view> closest_key(std::string_view key,
                                            std::initializer_list<std::string_view> valid) {
    std::optional<std::string_view> best;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    for (auto candidate : valid) {
        std::size_t distance = edit_distance(key, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    // A likely typo: a few edits, and fewer than half the characters.
    if (best && best_distance <= 3 && best_distance * 2 < std::max(key.size(), best->size())) {
        return best;
    }
    return std::nullopt;
}

TableReader::TableReader(const toml::table* table, std::string name, SourcePosition fallback,
                         Problems& problems)
    : table_(table),
      name_(std::move(name)),
      position_(table ? detail::position_of(*table, fallback) : fallback),
      problems_(&problems) {}

void TableReader::reject_unknown_keys(std::initializer_list<std::string_view> valid) const {
    if (!table_) {
        return;
    }
    for (const auto& [key, value] : *table_) {
        std::string_view text = key.str();
        if (std::find(valid.begin(), valid.end(), text) != valid.end()) {
            continue;
        }
        std::string message = "unknown key; ";
        if (auto guess = closest_key(text, valid)) {
            message += "did you mean \"" + std::string(*guess) + "\"? The";
        } else {
            message += "the";
        }
        std::string where = name_.empty()     ? std::string("the top level")
                            : name_ == "site" ? std::string("[[site]]")
                                              : "[" + name_ + "]";
        message += " keys of " + where + " are: " + join(valid);
        problem_at(detail::position_of(value, position_), text, message);
    }
}

const toml::node* TableReader::find(std::string_view key) const {
    return table_ ? table_->get(key) : nullptr;
}

SourcePosition TableReader::position_of(std::string_view key) const {
    const toml::node* node = find(key);
    return node ? detail::position_of(*node, position_) : position_;
}

std::string TableReader::key_name(std::string_view key) const {
    return name_.empty() ? std::string(key) : name_ + "." + std::string(key);
}

void TableReader::problem(std::string_view key, const std::string& message) const {
    problem_at(position_of(key), key, message);
}

void TableReader::problem_at(SourcePosition where, std::string_view key,
                             const std::string& message) const {
    problems_->add(where, key_name(key) + ": " + message);
}

void TableReader::table_problem(const std::string& message) const {
    problems_->add(position_,
                   (name_.empty() ? std::string("configuration") : name_) + ": " + message);
}

bool TableReader::require(std::string_view key, std::string_view example) const {
    if (has(key)) {
        return true;
    }
    table_problem("missing key \"" + std::string(key) + "\"; add e.g. " + std::string(key) + " = " +
                  std::string(example));
    return false;
}

void TableReader::wrong_type(std::string_view key, std::string_view expected) const {
    const toml::node* node = find(key);
    std::string found = node ? describe_value(*node) : "nothing";
    problem(key, "expected " + std::string(expected) + ", found " + found);
}

std::optional<std::string> TableReader::string(std::string_view key,
                                               std::string_view example) const {
    const toml::node* node = find(key);
    if (!node) {
        return std::nullopt;
    }
    if (!node->is_string()) {
        wrong_type(key, "a string like " + std::string(example));
        return std::nullopt;
    }
    return node->as_string()->get();
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max) const {
    const toml::node* node = find(key);
    if (!node) {
        return std::nullopt;
    }
    if (!node->is_integer()) {
        wrong_type(key,
                   "a whole number from " + std::to_string(min) + " to " + std::to_string(max));
        return std::nullopt;
    }
    std::int64_t value = node->as_integer()->get();
    if (value < min || value > max) {
        problem(key, std::to_string(value) + " is out of range; write a whole number from " +
                         std::to_string(min) + " to " + std::to_string(max));
        return std::nullopt;
    }
    return value;
}

std::optional<bool> TableReader::boolean(std::string_view key) const {
    const toml::node* node = find(key);
    if (!node) {
        return std::nullopt;
    }
    if (!node->is_boolean()) {
        wrong_type(key, "true or false");
        return std::nullopt;
    }
    return node->as_boolean()->get();
}

std::optional<std::vector<Located<std::string>>> TableReader::strings(
    std::string_view key, std::string_view example) const {
    const toml::node* node = find(key);
    if (!node) {
        return std::nullopt;
    }
    std::string expected = "an array of strings like " + std::string(example);
    if (!node->is_array()) {
        wrong_type(key, expected);
        return std::nullopt;
    }
    std::vector<Located<std::string>> items;
    bool all_strings = true;
    for (const toml::node& element : *node->as_array()) {
        SourcePosition where = detail::position_of(element, position_of(key));
        if (!element.is_string()) {
            problem_at(
                where, key,
                "expected " + expected + ", found " + describe_value(element) + " in the array");
            all_strings = false;
            continue;
        }
        items.push_back({element.as_string()->get(), where});
    }
    if (!all_strings) {
        return std::nullopt;
    }
    return items;
}

std::optional<std::vector<std::int64_t>> TableReader::integers(std::string_view key,
                                                               std::int64_t min,
                                                               std::int64_t max) const {
    const toml::node* node = find(key);
    if (!node) {
        return std::nullopt;
    }
    std::string expected =
        "an array of whole numbers from " + std::to_string(min) + " to " + std::to_string(max);
    if (!node->is_array()) {
        wrong_type(key, expected);
        return std::nullopt;
    }
    std::vector<std::int64_t> values;
    bool all_valid = true;
    for (const toml::node& element : *node->as_array()) {
        SourcePosition where = detail::position_of(element, position_of(key));
        if (!element.is_integer() || element.as_integer()->get() < min ||
            element.as_integer()->get() > max) {
            problem_at(where, key, "expected " + expected + ", found " + describe_value(element));
            all_valid = false;
            continue;
        }
        values.push_back(element.as_integer()->get());
    }
    if (!all_valid) {
        return std::nullopt;
    }
    return values;
}

std::optional<std::uint64_t> TableReader::size(std::string_view key, std::uint64_t min,
                                               std::uint64_t max) const {
    const toml::node* node = find(key);
    if (!node) {
        return std::nullopt;
    }
    std::optional<std::uint64_t> bytes;
    if (node->is_integer() && node->as_integer()->get() >= 0) {
        bytes = static_cast<std::uint64_t>(node->as_integer()->get());
    } else if (node->is_string()) {
        bytes = parse_size(node->as_string()->get());
    }
    if (!bytes) {
        problem(key, describe_value(*node) +
                         " is not a size; write e.g. \"512K\", \"64M\", \"1G\" or a number of "
                         "bytes");
        return std::nullopt;
    }
    if (*bytes < min || *bytes > max) {
        std::string range =
            max == std::numeric_limits<std::uint64_t>::max()
                ? "of at least \"" + format_size(min) + "\""
                : "from \"" + format_size(min) + "\" to \"" + format_size(max) + "\"";
        problem(key, describe_value(*node) + " is out of range; write a size " + range);
        return std::nullopt;
    }
    return bytes;
}

std::optional<std::uint64_t> TableReader::duration(std::string_view key, std::uint64_t min_ms,
                                                   std::uint64_t max_ms) const {
    const toml::node* node = find(key);
    if (!node) {
        return std::nullopt;
    }
    if (node->is_integer()) {
        std::string number = std::to_string(node->as_integer()->get());
        problem(key, number + " has no unit; write a string with one, e.g. \"" + number +
                         "s\", \"" + number + "ms\" or \"" + number + "m\"");
        return std::nullopt;
    }
    std::optional<std::uint64_t> ms;
    if (node->is_string()) {
        ms = parse_duration_ms(node->as_string()->get());
    }
    if (!ms) {
        problem(key, describe_value(*node) +
                         " is not a duration; write e.g. \"10s\", \"250ms\" or \"5m\"");
        return std::nullopt;
    }
    if (*ms < min_ms || *ms > max_ms) {
        problem(key, describe_value(*node) + " is out of range; write a duration from \"" +
                         format_duration_ms(min_ms) + "\" to \"" + format_duration_ms(max_ms) +
                         "\"");
        return std::nullopt;
    }
    return ms;
}

std::optional<TableReader> TableReader::table(std::string_view key,
                                              std::string_view example) const {
    const toml::node* node = find(key);
    if (!node) {
        return std::nullopt;
    }
    if (!node->is_table()) {
        wrong_type(key, "a table like " + std::string(example));
        return std::nullopt;
    }
    return TableReader(node->as_table(), key_name(key), position_of(key), *problems_);
}

}  // namespace bulkhead::config::detail
