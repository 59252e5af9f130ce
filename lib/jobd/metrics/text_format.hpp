#pragma once
// The pieces of Prometheus' text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). Pure; any thread.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jobd::metrics {

// What GET /metrics answers with.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

using Labels = std::vector<std::pair<std::string, std::string>>;  // name, value; in order

// A label value between its double quotes: backslash, double quote and line feed escaped.
std::string EscapeLabelValue(std::string_view value);

// The text of a # HELP line: backslash and line feed escaped.
std::string EscapeHelp(std::string_view help);

// A sample value as Prometheus parses it: the shortest text that reads back as the same double
// ("0.25", "3", "1e-05"), "+Inf", "-Inf" or "NaN".
std::string FormatValue(double value);

// `name{a="x",b="y"} value\n`, or `name value\n` without labels.
void AppendSample(std::string& out, std::string_view name, const Labels& labels, double value);

// `# HELP name help\n# TYPE name type\n`.
void AppendHeader(std::string& out,
                  std::string_view name,
                  std::string_view help,
                  std::string_view type);

}  // namespace jobd::metrics
