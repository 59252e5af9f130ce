#include "jobd/engine/run_output.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include <boost/json.hpp>

#include "jobd/model/text.hpp"

namespace jobd::engine {
namespace {

std::string StringField(const boost::json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    if (value == nullptr) {
        return {};
    }
    if (value->is_string()) {
        return SanitizeUtf8(value->as_string());
    }
    return value->is_null() ? std::string() : boost::json::serialize(*value);
}

}  // namespace

void RunOutput::OnLine(bool is_stderr, std::string_view line, TimePoint now) {
    if (!is_stderr && ParseJsonLine(line, now)) {
        return;
    }
    Add({now, is_stderr ? "ErrorOutput" : "Output", SanitizeUtf8(line), {}, {}, {}, {}});
}

bool RunOutput::ParseJsonLine(std::string_view line, TimePoint now) {
    if (line.empty() || line.front() != '{') {
        return false;
    }
    boost::system::error_code ec;
    const boost::json::value value = boost::json::parse(line, ec);
    if (ec || !value.is_object()) {
        return false;
    }
    const auto& object = value.as_object();
    bool used = false;
    if (const auto* progress = object.if_contains("progress"); progress && progress->is_number()) {
        const double percent = progress->to_number<double>();
        progress_.percent =
            std::isfinite(percent) ? static_cast<int>(std::clamp(percent, 0.0, 100.0)) : 0;
        progress_changed_ = used = true;
    }
    if (object.contains("progressMessage")) {
        progress_.message = StringField(object, "progressMessage");
        progress_changed_ = used = true;
    }
    if (const auto* type = object.if_contains("logType"); type && type->is_string()) {
        std::string message = StringField(object, "logMessage");
        if (message.empty()) {
            message = StringField(object, "message");
        }
        Add({now,
             SanitizeUtf8(type->as_string()),
             std::move(message),
             StringField(object, "assetName"),
             StringField(object, "assetType"),
             StringField(object, "assetHandle"),
             std::nullopt});
        used = true;
    }
    return used;
}

void RunOutput::AddOwnDetail(std::string log_type, Message message, TimePoint now) {
    std::string english = Render(message, Language::English);
    pending_.push_back(
        {now, std::move(log_type), std::move(english), {}, {}, {}, std::move(message)});
}

void RunOutput::Add(RunDetail detail) {
    if (truncated_) {
        return;
    }
    const std::size_t size = detail.message.size() + detail.log_type.size() +
                             detail.asset_name.size() + detail.asset_type.size() +
                             detail.asset_handle.size();
    if (stored_bytes_ + size > limit_bytes_) {
        truncated_ = true;
        AddOwnDetail("OutputTruncated",
                     Message(MessageId::OutputTruncated, {{"limit", std::to_string(limit_bytes_)}}),
                     detail.created_at);
        return;
    }
    stored_bytes_ += size;
    pending_.push_back(std::move(detail));
}

std::vector<RunDetail> RunOutput::TakeDetails() {
    return std::exchange(pending_, {});
}

std::optional<Progress> RunOutput::TakeProgress() {
    if (!progress_changed_) {
        return std::nullopt;
    }
    progress_changed_ = false;
    return progress_;
}

}  // namespace jobd::engine
