#pragma once
// A value or an error, for the data path where exceptions are not used (STYLE.md, rule 6).
// A small stand-in for C++23 std::expected: g++ 12 offers it only under -std=c++23, and
// clang 14 (used for fuzzing) not at all with libstdc++ 12.

#include <utility>
#include <variant>

namespace bulkhead {

template <typename E>
struct Unexpected {
    E error;
};

template <typename E>
Unexpected<E> unexpected(E error) {
    return Unexpected<E>{std::move(error)};
}

template <typename T, typename E>
class Expected {
public:
    Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    Expected(Unexpected<E> failure) : state_(std::in_place_index<1>, std::move(failure.error)) {}

    bool has_value() const { return state_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() { return std::get<0>(state_); }
    const T& value() const { return std::get<0>(state_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    E& error() { return std::get<1>(state_); }
    const E& error() const { return std::get<1>(state_); }

private:
    std::variant<T, E> state_;
};

// For operations that produce no value, only success or an error.
template <typename E>
class Expected<void, E> {
public:
    Expected() = default;
    Expected(Unexpected<E> failure) : error_(std::move(failure.error)), ok_(false) {}

    bool has_value() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const E& error() const { return error_; }

private:
    E error_{};
    bool ok_ = true;
};

}  // namespace bulkhead
