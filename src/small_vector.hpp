// SPDX-License-Identifier: BSD-2-Clause

#ifndef WEBHOOK_SMALL_VECTOR_HPP
#define WEBHOOK_SMALL_VECTOR_HPP

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace webhook {

// A vector whose first N elements live inline: the common request (one or
// two secrets, a few signatures) allocates nothing; more move the whole
// vector to the heap, so that the elements are always contiguous and a
// loop over them is a loop over a pointer.  The inline room is raw
// storage, constructed element by element as they come: a check that uses
// one of N slots pays for one, not for zeroing N.  Only what the core
// needs: emplace_back, push_back, pop_back, clear, indexing, iteration.
// Neither copyable nor movable: a check's vectors live and die with it.
template <typename T, std::size_t N>
class SmallVector {
public:
    SmallVector() = default;
    ~SmallVector()
    {
        clear();
        release();
    }
    SmallVector(const SmallVector &) = delete;
    SmallVector &operator=(const SmallVector &) = delete;

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    T &operator[](std::size_t i) { return data()[i]; }
    const T &operator[](std::size_t i) const { return data()[i]; }

    T *begin() { return data(); }
    T *end() { return data() + size_; }
    const T *begin() const { return data(); }
    const T *end() const { return data() + size_; }

    // A new element at the end, made from args; without, default-
    // initialised (not zeroed: a MAC's state is written when it starts,
    // a digest's bytes when it is finished).  Throws
    // std::bad_alloc if the vector must grow and cannot (moves must not
    // throw: the core's elements are pointers, MACs and digests).
    template <typename... Args>
    T &emplace_back(Args &&...args)
    {
        T *element;
        if (size_ < capacity_) {
            element = make(data() + size_, std::forward<Args>(args)...);
        } else {
            element = grow_with(std::forward<Args>(args)...);
        }
        size_++;
        return *element;
    }

    void push_back(const T &value) { emplace_back(value); }
    void push_back(T &&value) { emplace_back(std::move(value)); }

    void pop_back() { data()[--size_].~T(); }

    void clear()
    {
        if constexpr (!std::is_trivially_destructible_v<T>) {
            for (T &element : *this) {
                element.~T();
            }
        }
        size_ = 0;
    }

private:
    template <typename... Args>
    static T *make(T *at, Args &&...args)
    {
        if constexpr (sizeof...(Args) == 0) {
            return new (at) T;
        } else {
            return new (at) T(std::forward<Args>(args)...);
        }
    }

    T *data() { return data_; }
    const T *data() const { return data_; }

    T *inline_data()
    {
        return std::launder(reinterpret_cast<T *>(storage_));
    }

    // Twice the room, the new element made there first (its arguments may
    // be elements of this vector), then the others moved after it.
    template <typename... Args>
    T *grow_with(Args &&...args)
    {
        std::size_t capacity = capacity_ * 2;
        T *bigger = static_cast<T *>(::operator new(capacity * sizeof(T)));
        T *element;
        try {
            element = make(bigger + size_, std::forward<Args>(args)...);
        } catch (...) {
            ::operator delete(bigger);
            throw;
        }
        T *old = data();
        for (std::size_t i = 0; i < size_; i++) {
            new (bigger + i) T(std::move(old[i]));
            old[i].~T();
        }
        release();
        data_ = bigger;
        capacity_ = capacity;
        return element;
    }

    void release()
    {
        if (data_ != inline_data()) {
            ::operator delete(data_);
            data_ = inline_data();
        }
    }

    // data_ points into the vector itself (not movable, as not copyable)
    alignas(T) unsigned char  storage_[N * sizeof(T)];
    T                        *data_ = inline_data();
    std::size_t               size_ = 0;
    std::size_t               capacity_ = N;
};

}  // namespace webhook

#endif
