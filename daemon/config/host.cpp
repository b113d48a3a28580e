#include "config/host.hpp"

#include <algorithm>

namespace vigil::config {
namespace {

class StringReader final : public FileReader {
  public:
    explicit StringReader(std::string text) : text_(std::move(text)) {}
    std::size_t read(std::span<char> out) override {
        auto n = std::min(out.size(), text_.size() - pos_);
        std::copy_n(text_.data() + pos_, n, out.data());
        pos_ += n;
        return n;
    }
    bool rewind() override {
        pos_ = 0;
        return true;
    }

  private:
    std::string text_;
    std::size_t pos_ = 0;
};

}  // namespace

std::unique_ptr<FileReader> string_reader(std::string text) {
    return std::make_unique<StringReader>(std::move(text));
}

std::unique_ptr<FileReader> Host::open_file(const std::string& path) {
    auto text = read_file(path);
    if (!text) return nullptr;
    return string_reader(std::move(*text));
}

}  // namespace vigil::config
