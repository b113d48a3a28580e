// A value kept on the heap only once it is set: a large, rarely used part of a configuration
// costs one pointer while it holds T{}. Copies, compares and reads as the value itself.
#pragma once

#include <memory>

namespace vigil {

template <class T>
class Boxed {
  public:
    Boxed() = default;
    Boxed(T value) : p_(std::make_unique<T>(std::move(value))) {}
    Boxed(const Boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
    Boxed(Boxed&&) noexcept = default;
    Boxed& operator=(const Boxed& o) {
        if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
        return *this;
    }
    Boxed& operator=(Boxed&&) noexcept = default;

    const T& operator*() const { return p_ ? *p_ : unset(); }
    const T* operator->() const { return &**this; }
    // For writing: makes the box on first use.
    T& edit() {
        if (!p_) p_ = std::make_unique<T>();
        return *p_;
    }
    bool operator==(const Boxed& o) const { return **this == *o; }

  private:
    static const T& unset() {
        static const T value{};
        return value;
    }
    std::unique_ptr<T> p_;
};

}  // namespace vigil
