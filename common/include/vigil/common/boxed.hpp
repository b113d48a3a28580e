// A value kept on the heap only once it is set: a large, rarely used part of a configuration
// costs one pointer while it holds T{}. Copies, compares and reads as the value itself.
#pragma once

#include <memory>
#include <optional>

namespace vigil {

// An optional whose value lives on the heap: one pointer while empty, for a large member most
// configurations leave unset. Reads, assigns and compares as std::optional<T>.
template <class T>
class HeapOptional {
  public:
    HeapOptional() = default;
    HeapOptional(std::nullopt_t) {}
    HeapOptional(T value) : p_(std::make_unique<T>(std::move(value))) {}
    HeapOptional(const HeapOptional& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
    HeapOptional(HeapOptional&&) noexcept = default;
    HeapOptional& operator=(const HeapOptional& o) {
        if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
        return *this;
    }
    HeapOptional& operator=(HeapOptional&&) noexcept = default;
    HeapOptional& operator=(T value) {
        p_ = std::make_unique<T>(std::move(value));
        return *this;
    }

    bool has_value() const { return p_ != nullptr; }
    explicit operator bool() const { return has_value(); }
    const T& operator*() const { return *p_; }
    T& operator*() { return *p_; }
    const T* operator->() const { return p_.get(); }
    T* operator->() { return p_.get(); }
    void reset() { p_.reset(); }
    bool operator==(const HeapOptional& o) const {
        return has_value() == o.has_value() && (!p_ || *p_ == *o.p_);
    }

  private:
    std::unique_ptr<T> p_;
};

// Copies deep through HeapOptional; unset and T{} are the same value.
template <class T>
class Boxed {
  public:
    Boxed() = default;
    Boxed(T value) : p_(std::move(value)) {}

    const T& operator*() const { return p_ ? *p_ : unset(); }
    const T* operator->() const { return &**this; }
    // For writing: makes the box on first use.
    T& edit() {
        if (!p_) p_ = T{};
        return *p_;
    }
    bool operator==(const Boxed& o) const { return **this == *o; }

  private:
    static const T& unset() {
        static const T value{};
        return value;
    }
    HeapOptional<T> p_;
};

}  // namespace vigil
