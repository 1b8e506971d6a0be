// SPDX-License-Identifier: BSD-2-Clause

#ifndef WEBHOOK_SMALL_VECTOR_HPP
#define WEBHOOK_SMALL_VECTOR_HPP

#include <cstddef>
#include <utility>
#include <vector>

namespace webhook {

// A vector whose first N elements live inline: the common request (one or
// two secrets, a few signatures) allocates nothing; more spill to the heap.
// Only what the core needs: push_back, resize, clear, indexing, iteration.
template <typename T, std::size_t N>
class SmallVector {
public:
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    T &operator[](std::size_t i) { return i < N ? inline_[i] : more_[i - N]; }
    const T &operator[](std::size_t i) const
    {
        return i < N ? inline_[i] : more_[i - N];
    }

    void push_back(T value)
    {
        if (size_ < N) {
            inline_[size_] = std::move(value);
        } else {
            more_.push_back(std::move(value));
        }
        size_++;
    }

    // n fresh elements (T()), whatever was there before
    void resize(std::size_t n)
    {
        clear();
        for (std::size_t i = 0; i < n && i < N; i++) {
            inline_[i] = T();
        }
        if (n > N) {
            more_.resize(n - N);
        }
        size_ = n;
    }

    void clear()
    {
        for (std::size_t i = 0; i < size_ && i < N; i++) {
            inline_[i] = T();
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
    T               inline_[N]{};
    std::vector<T>  more_;
    std::size_t     size_ = 0;
};

}  // namespace webhook

#endif
