#include "jobd/api/wsdl.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "jobd/api/operation_schema.hpp"

namespace jobd::api {
namespace {

constexpr const char* kIps = "http://www.scene7.com/IpsApi/xsd";
constexpr const char* kUrl = "http://127.0.0.1:8080/IpsApi?a=1&b=2";

class WsdlTest : public ::testing::Test {
protected:
    void SetUp() override {
        text_ = Wsdl(kUrl);
        const pugi::xml_parse_result result = document_.load_string(text_.c_str());
        ASSERT_TRUE(result) << result.description() << " at offset " << result.offset;
        definitions_ = document_.child("wsdl:definitions");
        ASSERT_TRUE(definitions_);
        schema_ = definitions_.child("wsdl:types").child("xsd:schema");
        ASSERT_TRUE(schema_);
    }

    pugi::xml_node SchemaChild(const char* kind, std::string_view name) const {
        return schema_.find_child_by_attribute(kind, "name", std::string(name).c_str());
    }

    std::string text_;
    pugi::xml_document document_;
    pugi::xml_node definitions_;
    pugi::xml_node schema_;
};

TEST_F(WsdlTest, UsesThePre40NamespaceForDefinitionsAndSchema) {
    EXPECT_STREQ(definitions_.attribute("targetNamespace").value(), kIps);
    EXPECT_STREQ(definitions_.attribute("xmlns:types").value(), kIps);
    EXPECT_STREQ(schema_.attribute("targetNamespace").value(), kIps);
    EXPECT_STREQ(schema_.attribute("elementFormDefault").value(), "qualified");
}

TEST_F(WsdlTest, HasParamAndReturnElementsForEveryOperation) {
    for (const OperationSchema& operation : OperationSchemas()) {
        const std::string name(operation.name);
        EXPECT_TRUE(SchemaChild("xsd:element", name + "Param")) << name;
        EXPECT_TRUE(SchemaChild("xsd:element", name + "Return")) << name;
    }
}

TEST_F(WsdlTest, BindsEveryOperationWithSoapActionHeaderAndFaults) {
    const pugi::xml_node binding = definitions_.child("wsdl:binding");
    EXPECT_STREQ(binding.child("soap:binding").attribute("style").value(), "document");
    std::set<std::string> bound;
    for (const pugi::xml_node op : binding.children("wsdl:operation")) {
        const std::string name = op.attribute("name").value();
        bound.insert(name);
        EXPECT_EQ(op.child("soap:operation").attribute("soapAction").value(), name);
        const pugi::xml_node input = op.child("wsdl:input");
        EXPECT_STREQ(input.child("soap:body").attribute("use").value(), "literal");
        EXPECT_STREQ(input.child("soap:header").attribute("part").value(), "authHeader");
        std::set<std::string> faults;
        for (const pugi::xml_node fault : op.children("wsdl:fault")) {
            faults.insert(fault.attribute("name").value());
        }
        EXPECT_EQ(faults, (std::set<std::string>{"authenticationFault", "authorizationFault",
                                                 "ipsApiFault"}))
            << name;
    }
    EXPECT_EQ(bound.size(), OperationSchemas().size());
}

TEST_F(WsdlTest, AuthHeaderAndFaultElementsHaveTheirFields) {
    const struct {
        const char* element;
        std::set<std::string> fields;
    } cases[] = {
        {"authHeader", {"user", "password", "locale", "appName", "appVersion", "gzipResponse",
                        "faultHttpStatusCode"}},
        {"authenticationFault", {"code", "reason"}},
        {"authorizationFault", {"code", "reason"}},
        {"ipsApiFault", {"code", "reason"}},
    };
    for (const auto& c : cases) {
        std::set<std::string> fields;
        const pugi::xml_node sequence =
            SchemaChild("xsd:element", c.element).child("xsd:complexType").child("xsd:sequence");
        for (const pugi::xml_node field : sequence.children("xsd:element")) {
            fields.insert(field.attribute("name").value());
        }
        EXPECT_EQ(fields, c.fields) << c.element;
    }
}

TEST_F(WsdlTest, LeavesJsonOnlyFieldsOut) {
    const pugi::xml_node sequence = SchemaChild("xsd:element", "executeJobReturn")
                                        .child("xsd:complexType")
                                        .child("xsd:sequence");
    ASSERT_TRUE(sequence);
    EXPECT_FALSE(sequence.first_child());
    EXPECT_EQ(text_.find("runHandle"), std::string::npos);
}

TEST_F(WsdlTest, EveryTypeReferenceResolves) {
    const pugi::xpath_node_set typed = document_.select_nodes("//*[@type]");
    ASSERT_GT(typed.size(), 0U);
    for (const pugi::xpath_node& node : typed) {
        const std::string type = node.node().attribute("type").value();
        if (type.starts_with("xsd:")) {
            continue;
        }
        if (type.starts_with("types:I") && node.node().name() == std::string("wsdl:binding")) {
            EXPECT_TRUE(definitions_.find_child_by_attribute("wsdl:portType", "name",
                                                             type.substr(6).c_str()));
            continue;
        }
        ASSERT_TRUE(type.starts_with("types:")) << type;
        EXPECT_TRUE(SchemaChild("xsd:complexType", type.substr(6))) << type;
    }
}

TEST_F(WsdlTest, ArraysAreRepeatedItems) {
    for (const char* array : {"StringArray", "ActiveJobArray", "ScheduledJobArray",
                              "JobLogArray", "JobLogDetailArray", "UploadUrlArray"}) {
        const pugi::xml_node items = SchemaChild("xsd:complexType", array)
                                         .child("xsd:sequence")
                                         .find_child_by_attribute("xsd:element", "name", "items");
        ASSERT_TRUE(items) << array;
        EXPECT_STREQ(items.attribute("maxOccurs").value(), "unbounded") << array;
    }
}

TEST_F(WsdlTest, SubmitJobOffersEveryJobTypeAsAChoice) {
    const pugi::xml_node choice = SchemaChild("xsd:element", "submitJobParam")
                                      .child("xsd:complexType")
                                      .child("xsd:sequence")
                                      .child("xsd:choice");
    std::set<std::string> offered;
    for (const pugi::xml_node element : choice.children("xsd:element")) {
        offered.insert(element.attribute("name").value());
    }
    EXPECT_EQ(offered.size(), JobTypeElements().size());
    EXPECT_EQ(offered.count("commandJob"), 1U);
    EXPECT_EQ(offered.count("imageServingPublishJob"), 1U);
}

TEST_F(WsdlTest, ServiceAddressIsTheGivenUrl) {
    const pugi::xml_node address =
        definitions_.child("wsdl:service").child("wsdl:port").child("soap:address");
    EXPECT_STREQ(address.attribute("location").value(), kUrl);
}

}  // namespace
}  // namespace jobd::api
