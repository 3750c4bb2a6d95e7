#pragma once
// Internal to src/config: the problem list and a reader of one TOML table that reports every
// problem at the offending value, as "<table>.<key>: <what is wrong>; <what would be right>".

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/load.hpp"
#include "config/model.hpp"

namespace bulkhead::config::detail {

class Problems {
  public:
    explicit Problems(std::string file) : file_(std::move(file)) {}

    void add(SourcePosition where, std::string message);
    void add_warning(SourcePosition where, std::string message);
    bool has_errors() const;
    // All problems, ordered by line, then column; problems at one place keep their order.
    std::vector<Problem> take_sorted();

  private:
    std::string file_;
    std::vector<Problem> list_;
};

template <typename T>
struct Located {
    T value;
    SourcePosition position;
};

// Where `node` starts; `fallback` when toml++ gave it no place (implicit tables).
SourcePosition position_of(const toml::node& node, SourcePosition fallback);
// "alpha" with quotes and TOML escapes, for messages.
std::string quote(std::string_view text);
// A value as written in messages: "10 seconds", 42, true, an array, a table.
std::string describe_value(const toml::node& node);
// The valid key closest to `key` by edit distance, if close enough to be a likely typo.
std::optional<std::string_view> closest_key(std::string_view key,
                                            std::initializer_list<std::string_view> valid);

// One TOML table (or an absent one: then every getter finds nothing and positions fall back).
class TableReader {
  public:
    TableReader(const toml::table* table, std::string name, SourcePosition fallback,
                Problems& problems);

    bool present() const { return table_ != nullptr; }
    const std::string& name() const { return name_; }
    // Reports every key that is not in `valid`, with the valid keys and a likely intended one.
    void reject_unknown_keys(std::initializer_list<std::string_view> valid) const;

    const toml::node* find(std::string_view key) const;
    bool has(std::string_view key) const { return find(key) != nullptr; }
    SourcePosition position() const { return position_; }
    // The key's value, or the table when the key is absent.
    SourcePosition position_of(std::string_view key) const;
    std::string key_name(std::string_view key) const;  // "server.listen"

    // "<name>.<key>: <message>" at the key's value (or the table when absent).
    void problem(std::string_view key, const std::string& message) const;
    void problem_at(SourcePosition where, std::string_view key, const std::string& message) const;
    // "<name>: <message>" at the table.
    void table_problem(const std::string& message) const;
    // Reports a missing required key at the table: "add e.g. <key> = <example>".
    bool require(std::string_view key, std::string_view example) const;

    // Typed getters: nullopt when absent or wrong (wrong values are reported).
    std::optional<std::string> string(std::string_view key, std::string_view example) const;
    std::optional<std::int64_t> integer(std::string_view key, std::int64_t min,
                                        std::int64_t max) const;
    std::optional<bool> boolean(std::string_view key) const;
    std::optional<std::vector<Located<std::string>>> strings(std::string_view key,
                                                             std::string_view example) const;
    std::optional<std::vector<std::int64_t>> integers(std::string_view key, std::int64_t min,
                                                      std::int64_t max) const;
    std::optional<std::uint64_t> size(std::string_view key, std::uint64_t min,
                                      std::uint64_t max) const;
    std::optional<std::uint64_t> duration(std::string_view key, std::uint64_t min_ms,
                                          std::uint64_t max_ms) const;
    // A sub-table (`[site.tls]` or `tls = {...}`); reports a value of another type.
    std::optional<TableReader> table(std::string_view key, std::string_view example) const;

    // "expected <what>, found <value>" at the key.
    void wrong_type(std::string_view key, std::string_view expected) const;

  private:
    const toml::table* table_;
    std::string name_;
    SourcePosition position_;
    Problems* problems_;
};

// What outside the text the checks may consult, with the system defaults filled in.
class Lookups {
  public:
    explicit Lookups(const Environment& environment) : environment_(environment) {}

    std::optional<uid_t> user(const std::string& name) const;
    std::optional<gid_t> group(const std::string& name) const;
    // A user's primary group (getpwnam's pw_gid). With a substituted lookup_user and no
    // lookup_primary_group, the group of the same name (Debian's user-private groups).
    std::optional<gid_t> primary_group(const std::string& user) const;
    bool is_directory(const std::string& path) const;

  private:
    const Environment& environment_;
};

// A user or group as written and resolved.
struct Identity {
    std::string text;  // the name, or the number as written
    std::uint32_t id = 0;
    bool numeric = false;
};

// `key` as a user (is_user) or group name or number, resolved. Reports unknown names and
// values of the wrong type; range policy (root, minimum ids) is the caller's.
std::optional<Identity> read_identity(const TableReader& table, std::string_view key, bool is_user,
                                      const Lookups& lookups);
// The group of a user when none is written: the same number, or the named user's primary group.
std::optional<Identity> default_group(const Identity& user, const Lookups& lookups);

// An IPv4/IPv6 address, or one with a "/prefix" in range (CIDR).
bool is_address_or_cidr(std::string_view text);
bool is_absolute_path(std::string_view path);

}  // namespace bulkhead::config::detail
