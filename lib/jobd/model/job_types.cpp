#include "jobd/model/job_types.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace jobd {
namespace {

// Element -> constant. The IPS constants list has no value for export, reprocess, rip-PDF,
// asset-set or sitemap jobs; those use the element name without "Job", capitalized.
constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kTypes{{
    {"imageServingPublishJob", "ImageServingPublish"},
    {"imageRenderingPublishJob", "ImageRenderingPublish"},
    {"videoPublishJob", "VideoPublish"},
    {"serverDirectoryPublishJob", "ServerDirectoryPublish"},
    {"metadataPublishJob", "MetadataPublish"},
    {"uploadDirectoryJob", "UploadFromServerDirectory"},
    {"uploadUrlsJob", "UrlUpload"},
    {"uploadPostJob", "UploadPost"},
    {"optimizeImagesJob", "ImageOptimization"},
    {"ripPdfsJob", "RipPdfs"},
    {"reprocessAssetsJob", "ReprocessAssets"},
    {"createVideoSitemapJob", "CreateVideoSitemap"},
    {"exportJob", "Export"},
    {"automatedSetGenerationJob", "AutomatedSetGeneration"},
}};

}  // namespace

const std::vector<std::string_view>& IpsJobTypes() {
    static const std::vector<std::string_view> types = [] {
        std::vector<std::string_view> names;
        for (const auto& [element, constant] : kTypes) {
            names.push_back(element);
        }
        return names;
    }();
    return types;
}

bool IsJobType(std::string_view element) {
    return element == kCommandJob || std::any_of(kTypes.begin(), kTypes.end(), [&](const auto& t) {
               return t.first == element;
           });
}

std::string_view JobTypeConstant(std::string_view element) {
    for (const auto& [name, constant] : kTypes) {
        if (name == element) {
            return constant;
        }
    }
    return element == kCommandJob ? "Command" : element;
}

}  // namespace jobd
