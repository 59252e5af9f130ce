#include "jobd/exec/line_splitter.hpp"

namespace jobd::exec {

LineSplitter::LineSplitter(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

void LineSplitter::Feed(std::string_view data, const LineSink& sink) {
    while (!data.empty()) {
        const std::size_t newline = data.find('\n');
        Append(data.substr(0, newline), sink);
        if (newline == std::string_view::npos) {
            return;
        }
        if (!pending_.empty() && pending_.back() == '\r') {
            pending_.pop_back();
        }
        sink(pending_);
        pending_.clear();
        data.remove_prefix(newline + 1);
    }
}

void LineSplitter::Finish(const LineSink& sink) {
    while (pending_.size() > max_line_bytes_) {
        sink(std::string_view(pending_).substr(0, max_line_bytes_));
        pending_.erase(0, max_line_bytes_);
    }
    if (!pending_.empty()) {
        sink(pending_);
        pending_.clear();
    }
}

// `piece` holds no '\n'. One byte over the cap is kept when it is a '\r', which may turn out to
// be the line's "\r\n" ending rather than content.
void LineSplitter::Append(std::string_view piece, const LineSink& sink) {
    pending_.append(piece);
    while (pending_.size() > max_line_bytes_ + 1 ||
           (pending_.size() == max_line_bytes_ + 1 && pending_.back() != '\r')) {
        sink(std::string_view(pending_).substr(0, max_line_bytes_));
        pending_.erase(0, max_line_bytes_);
    }
}

}  // namespace jobd::exec
