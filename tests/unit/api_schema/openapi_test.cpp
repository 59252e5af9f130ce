#include "jobd/api/openapi.hpp"

#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "jobd/api/operation_schema.hpp"

namespace jobd::api {
namespace {

namespace json = boost::json;

class OpenApiTest : public ::testing::Test {
protected:
    void SetUp() override {
        boost::system::error_code ec;
        json::value parsed = json::parse(OpenApiJson(), ec);
        ASSERT_FALSE(ec) << ec.message();
        ASSERT_TRUE(parsed.is_object());
        document_ = std::move(parsed.as_object());
    }

    const json::object& Schemas() const {
        return document_.at("components").at("schemas").as_object();
    }

    // Every {"$ref": ...} below `value` names an existing component schema.
    void ExpectRefsResolve(const json::value& value, const std::string& where) const {
        if (value.is_array()) {
            for (const json::value& item : value.as_array()) {
                ExpectRefsResolve(item, where);
            }
            return;
        }
        if (!value.is_object()) {
            return;
        }
        for (const auto& [key, child] : value.as_object()) {
            if (key == "$ref") {
                const std::string ref(child.as_string());
                const std::string prefix = "#/components/schemas/";
                ASSERT_TRUE(ref.starts_with(prefix)) << where << ": " << ref;
                EXPECT_TRUE(Schemas().contains(ref.substr(prefix.size()))) << where << ": " << ref;
            } else {
                ExpectRefsResolve(child, where + "/" + std::string(key));
            }
        }
    }

    json::object document_;
};

TEST_F(OpenApiTest, IsOpenApi303) {
    EXPECT_EQ(document_.at("openapi"), "3.0.3");
    EXPECT_TRUE(document_.at("info").as_object().contains("title"));
}

TEST_F(OpenApiTest, HasOnePostPathPerOperation) {
    const json::object& paths = document_.at("paths").as_object();
    EXPECT_EQ(paths.size(), OperationSchemas().size());
    for (const OperationSchema& operation : OperationSchemas()) {
        const std::string path = "/api/v1/" + std::string(operation.name);
        ASSERT_TRUE(paths.contains(path)) << path;
        const json::object& post = paths.at(path).at("post").as_object();
        EXPECT_EQ(post.at("operationId"), json::string(operation.name));
        EXPECT_TRUE(post.contains("requestBody")) << path;
    }
}

TEST_F(OpenApiTest, EveryErrorStatusAnswersAFault) {
    for (const auto& [path, item] : document_.at("paths").as_object()) {
        const json::object& responses = item.at("post").at("responses").as_object();
        EXPECT_TRUE(responses.contains("200")) << path;
        for (const char* status : {"400", "401", "403", "404", "409", "413", "503"}) {
            const json::value& ref = responses.at(status)
                                         .at("content")
                                         .at("application/json")
                                         .at("schema")
                                         .at("$ref");
            EXPECT_EQ(ref, "#/components/schemas/Fault") << path << " " << status;
        }
    }
}

TEST_F(OpenApiTest, EveryReferenceNamesAComponentSchema) {
    ExpectRefsResolve(document_.at("paths"), "paths");
    ExpectRefsResolve(document_.at("components"), "components");
}

TEST_F(OpenApiTest, FaultHasFaultCodeAndReason) {
    const json::array& required = Schemas().at("Fault").at("required").as_array();
    EXPECT_EQ(required, (json::array{"fault", "code", "reason"}));
}

TEST_F(OpenApiTest, OffersBasicAndBearerCredentials) {
    const json::object& schemes = document_.at("components").at("securitySchemes").as_object();
    EXPECT_EQ(schemes.at("basicAuth").at("scheme"), "basic");
    EXPECT_EQ(schemes.at("bearerAuth").at("scheme"), "bearer");
}

TEST_F(OpenApiTest, KeepsJsonOnlyFieldsAndMapsAsObjects) {
    const json::object& execute = Schemas().at("executeJobReturn").at("properties").as_object();
    EXPECT_TRUE(execute.contains("runHandle"));
    const json::object& env = Schemas().at("CommandJob").at("properties").at("env").as_object();
    EXPECT_EQ(env.at("type"), "object");
    const json::object& submit = Schemas().at("submitJobParam").at("properties").as_object();
    EXPECT_TRUE(submit.contains("commandJob"));
    EXPECT_TRUE(submit.contains("exportJob"));
}

}  // namespace
}  // namespace jobd::api
