#include "jobd/api/operation_schema.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "jobd/api/service.hpp"
#include "jobd/auth/operation.hpp"
#include "jobd/model/job_types.hpp"

namespace jobd::api {
namespace {

constexpr int kOperationCount = 12;

TEST(OperationSchema, EveryOperationOfTheAuthTableHasOneSchema) {
    std::set<std::string_view> names;
    for (int i = 0; i < kOperationCount; ++i) {
        const auto operation = static_cast<auth::Operation>(i);
        const std::string_view name = auth::ToString(operation);
        const OperationSchema* schema = FindOperationSchema(name);
        ASSERT_NE(schema, nullptr) << name;
        EXPECT_EQ(schema->operation, operation) << name;
        names.insert(name);
    }
    EXPECT_EQ(OperationSchemas().size(), names.size());
}

TEST(OperationSchema, EverySchemaIsAnOperationOfTheServiceTable) {
    for (const OperationSchema& schema : OperationSchemas()) {
        EXPECT_EQ(auth::ParseOperation(schema.name), schema.operation) << schema.name;
        EXPECT_NE(FindOperation(schema.name), nullptr) << schema.name;
    }
}

TEST(OperationSchema, JsonOnlyFieldsMatchTheServiceTable) {
    for (const OperationSchema& schema : OperationSchemas()) {
        std::set<std::string> marked;
        for (const FieldSchema& field : schema.answer) {
            if (field.json_only) {
                marked.insert(std::string(field.name));
            }
        }
        const OperationSpec* spec = FindOperation(schema.name);
        ASSERT_NE(spec, nullptr);
        const std::set<std::string> dropped(spec->json_only_fields.begin(),
                                            spec->json_only_fields.end());
        EXPECT_EQ(marked, dropped) << schema.name;
    }
}

TEST(OperationSchema, EveryNamedTypeExists) {
    const auto check = [](const std::vector<FieldSchema>& fields, std::string_view owner) {
        for (const FieldSchema& field : fields) {
            if (field.kind == FieldKind::Type || field.kind == FieldKind::TypeArray) {
                EXPECT_NE(FindComplexType(field.type_name), nullptr)
                    << owner << "." << field.name << " names " << field.type_name;
            }
        }
    };
    for (const OperationSchema& schema : OperationSchemas()) {
        check(schema.request, schema.name);
        check(schema.answer, schema.name);
    }
    for (const ComplexTypeSchema& type : ComplexTypes()) {
        check(type.fields, type.name);
    }
    for (const JobTypeElement& job_type : JobTypeElements()) {
        EXPECT_NE(FindComplexType(job_type.type_name), nullptr) << job_type.element;
    }
}

TEST(OperationSchema, JobTypeElementsAreTheModelsJobTypes) {
    std::set<std::string_view> schema_elements;
    for (const JobTypeElement& job_type : JobTypeElements()) {
        EXPECT_TRUE(IsJobType(job_type.element)) << job_type.element;
        schema_elements.insert(job_type.element);
    }
    std::set<std::string_view> model_elements(IpsJobTypes().begin(), IpsJobTypes().end());
    model_elements.insert(kCommandJob);
    EXPECT_EQ(schema_elements, model_elements);
}

TEST(OperationSchema, FieldNamesAreUniqueWithinEachObject) {
    const auto check = [](const std::vector<FieldSchema>& fields, std::string_view owner) {
        std::set<std::string_view> names;
        for (const FieldSchema& field : fields) {
            if (field.kind != FieldKind::JobType) {
                EXPECT_TRUE(names.insert(field.name).second) << owner << "." << field.name;
            }
        }
    };
    for (const OperationSchema& schema : OperationSchemas()) {
        check(schema.request, schema.name);
        check(schema.answer, schema.name);
    }
    for (const ComplexTypeSchema& type : ComplexTypes()) {
        check(type.fields, type.name);
    }
}

TEST(OperationSchema, UnknownNamesFindNothing) {
    EXPECT_EQ(FindOperationSchema("getAssetJobLogs"), nullptr);
    EXPECT_EQ(FindOperationSchema("SubmitJob"), nullptr);
    EXPECT_EQ(FindComplexType("NoSuchType"), nullptr);
}

}  // namespace
}  // namespace jobd::api
