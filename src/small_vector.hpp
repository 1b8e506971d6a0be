// SPDX-License-Identifier: BSD-2-Clause

#ifndef WEBHOOK_SMALL_VECTOR_HPP
#define WEBHOOK_SMALL_VECTOR_HPP

#include <cstddef>
#include <new>
#include <utility>
#include <vector>

namespace webhook {

// A vector whose first N elements live inline: the common request (one or
// two secrets, a few signatures) allocates nothing; more spill to the heap.
// The inline room is raw storage, constructed element by element as they
// come: a check that uses one of N slots pays for one, not for zeroing N.
// Only what the core needs: emplace_back, push_back, pop_back, clear,
// indexing, iteration.  Not copyable: a check's vectors live and die with it.
template <typename T, std::size_t N>
class SmallVector {
public:
    SmallVector() = default;
    ~SmallVector() { clear(); }
    SmallVector(const SmallVector &) = delete;
    SmallVector &operator=(const SmallVector &) = delete;

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    T &operator[](std::size_t i) { return i < N ? slot(i) : more_[i - N]; }
    const T &operator[](std::size_t i) const
    {
        return i < N ? slot(i) : more_[i - N];
    }

    // A new element at the end, made from args (T() without).
    template <typename... Args>
    T &emplace_back(Args &&...args)
    {
        T *element;
        if (size_ < N) {
            element = new (&storage_[size_ * sizeof(T)])
                          T(std::forward<Args>(args)...);
        } else {
            more_.emplace_back(std::forward<Args>(args)...);
            element = &more_.back();
        }
        size_++;
        return *element;
    }

    void push_back(const T &value) { emplace_back(value); }
    void push_back(T &&value) { emplace_back(std::move(value)); }

    void pop_back()
    {
        if (size_ > N) {
            more_.pop_back();
        } else {
            slot(size_ - 1).~T();
        }
        size_--;
    }

    void clear()
    {
        for (std::size_t i = 0; i < size_ && i < N; i++) {
            slot(i).~T();
        }
        more_.clear();
        size_ = 0;
    }

    template <typename V, typename Owner>
    class Iterator {
    public:
        Iterator(Owner *owner, std::size_t i) : owner_(owner), i_(i) {}
        V &operator*() const { return (*owner_)[i_]; }
        Iterator &operator++() { i_++; return *this; }
        bool operator!=(const Iterator &other) const { return i_ != other.i_; }

    private:
        Owner       *owner_;
        std::size_t  i_;
    };

    Iterator<T, SmallVector> begin() { return {this, 0}; }
    Iterator<T, SmallVector> end() { return {this, size_}; }
    Iterator<const T, const SmallVector> begin() const { return {this, 0}; }
    Iterator<const T, const SmallVector> end() const { return {this, size_}; }

private:
    T &slot(std::size_t i)
    {
        return *std::launder(reinterpret_cast<T *>(&storage_[i * sizeof(T)]));
    }
    const T &slot(std::size_t i) const
    {
        return *std::launder(
                   reinterpret_cast<const T *>(&storage_[i * sizeof(T)]));
    }

    alignas(T) unsigned char  storage_[N * sizeof(T)];
    std::vector<T>            more_;
    std::size_t               size_ = 0;
};

}  // namespace webhook

#endif
