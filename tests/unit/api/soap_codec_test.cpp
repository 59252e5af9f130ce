#include "jobd/api/soap_codec.hpp"

#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "jobd/model/error.hpp"

namespace jobd::api {
namespace {

// The seed page's example, byte for byte (contract §5: posted as the body it works as is).
constexpr const char* kSeedExample =
    "<executeJobParam xmlns=\"http://www.scene7.com/IpsApi/xsd\">\n"
    "   <companyHandle>47</companyHandle>\n"
    "   <jobHandle>47|My Test Job|</jobHandle>\n"
    "</executeJobParam>";

HttpRequest SoapRequest(std::string body) {
    HttpRequest request;
    request.method = "POST";
    request.target = "/IpsApi";
    request.body = std::move(body);
    return request;
}

std::string Envelope(const std::string& header, const std::string& body) {
    return R"(<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
                  xmlns:ns="http://www.scene7.com/IpsApi/xsd/2014-04-03">
  <soapenv:Header>)" +
           header + "</soapenv:Header>\n  <soapenv:Body>" + body +
           "</soapenv:Body>\n</soapenv:Envelope>";
}

struct DecodeCase {
    const char* name;
    std::string body;
    const char* operation;
    const char* ns;
    const char* params;  // JSON
};

const std::vector<DecodeCase>& DecodeCases() {
    static const std::vector<DecodeCase> cases = {
        {"seed example, bare",
         kSeedExample,
         "executeJob",
         "http://www.scene7.com/IpsApi/xsd",
         R"({"companyHandle":"47","jobHandle":"47|My Test Job|"})"},
        {"enveloped, dated namespace by prefix",
         Envelope("",
                  "<ns:stopJobParam><ns:companyHandle>47</ns:companyHandle>"
                  "<ns:jobHandle>47|A|</ns:jobHandle></ns:stopJobParam>"),
         "stopJob",
         "http://www.scene7.com/IpsApi/xsd/2014-04-03",
         R"({"companyHandle":"47","jobHandle":"47|A|"})"},
        {"beta namespace, other envelope prefix",
         R"(<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>
              <pauseJobParam xmlns="http://www.scene7.com/IpsApi/xsd/2022-11-01-beta">
                <companyHandle>47</companyHandle></pauseJobParam></S:Body></S:Envelope>)",
         "pauseJob",
         "http://www.scene7.com/IpsApi/xsd/2022-11-01-beta",
         R"({"companyHandle":"47"})"},
        {"items become arrays, an empty ...Array is []",
         R"(<getJobLogDetailsParam xmlns="http://www.scene7.com/IpsApi/xsd">
              <logTypeArray><items>EndJob</items><items>FatalError</items></logTypeArray>
              <emptyArray/><description/>
            </getJobLogDetailsParam>)",
         "getJobLogDetails",
         "http://www.scene7.com/IpsApi/xsd",
         R"({"logTypeArray":["EndJob","FatalError"],"emptyArray":[],"description":""})"},
        {"nested objects, repeated names, entities and CDATA",
         R"(<x:submitJobParam xmlns:x="http://www.scene7.com/IpsApi/xsd/2008-01-15">
              <x:jobName>A &amp; B</x:jobName>
              <x:exportJob><x:assetHandleArray><x:items>a|1</x:items></x:assetHandleArray>
                <x:emailSetting>All</x:emailSetting></x:exportJob>
              <x:tag>one</x:tag><x:tag><![CDATA[<two>]]></x:tag>
            </x:submitJobParam>)",
         "submitJob",
         "http://www.scene7.com/IpsApi/xsd/2008-01-15",
         R"({"jobName":"A & B","exportJob":{"assetHandleArray":["a|1"],"emailSetting":"All"},
             "tag":["one","<two>"]})"},
    };
    return cases;
}

TEST(DecodeSoap, DecodesTheParamElement) {
    for (const DecodeCase& c : DecodeCases()) {
        SCOPED_TRACE(c.name);
        const Call call = DecodeSoap(SoapRequest(c.body));
        EXPECT_EQ(call.operation, c.operation);
        EXPECT_EQ(call.soap_namespace, c.ns);
        EXPECT_EQ(boost::json::value(call.params), boost::json::parse(c.params));
    }
}

TEST(DecodeSoap, ReadsTheAuthHeader) {
    HttpRequest request = SoapRequest(Envelope(
        R"(<authHeader xmlns="http://www.scene7.com/IpsApi/xsd">
             <user>admin@example.com</user><password>pw</password><locale>de-DE</locale>
             <appName>t</appName><gzipResponse>false</gzipResponse>
             <faultHttpStatusCode>200</faultHttpStatusCode></authHeader>)",
        kSeedExample));
    request.headers["authorization"] = "Basic dXNlcjpwdw==";  // authHeader wins
    request.headers["accept-language"] = "sv";
    request.peer = "unix:uid=0";
    request.peer_uid = 0;
    const Call call = DecodeSoap(request);
    EXPECT_EQ(call.credentials.user, "admin@example.com");
    EXPECT_EQ(call.credentials.password, "pw");
    EXPECT_EQ(call.language, Language::German);  // authHeader/locale beats Accept-Language
    EXPECT_EQ(call.fault_http_status, 200);
    EXPECT_EQ(call.peer, "unix:uid=0");
    EXPECT_EQ(call.peer_uid, 0u);
}

TEST(DecodeSoap, AcceptsADatedAuthHeaderNamespace) {
    const Call call = DecodeSoap(SoapRequest(
        Envelope("<ns:authHeader><ns:user>u</ns:user><ns:password>p</ns:password></ns:authHeader>",
                 kSeedExample)));
    EXPECT_EQ(call.credentials.user, "u");
}

TEST(DecodeSoap, FallsBackToHttpBasicAndAcceptLanguage) {
    HttpRequest request = SoapRequest(kSeedExample);
    request.headers["authorization"] = "Basic dXNlcjpwdw==";
    request.headers["accept-language"] = "es-ES,es;q=0.9";
    const Call call = DecodeSoap(request);
    EXPECT_EQ(call.credentials.user, "user");
    EXPECT_EQ(call.credentials.password, "pw");
    EXPECT_EQ(call.language, Language::Spanish);
    EXPECT_FALSE(call.fault_http_status.has_value());
}

TEST(DecodeSoap, ReadsTheDeprecatedAuthUserHeaders) {
    const Call call = DecodeSoap(SoapRequest(Envelope(
        "<AuthUser>old@example.com</AuthUser><AuthPassword>pw</AuthPassword>", kSeedExample)));
    EXPECT_EQ(call.credentials.user, "old@example.com");
    EXPECT_EQ(call.credentials.password, "pw");
}

std::string Nested(int depth) {
    std::string open, close;
    for (int i = 0; i < depth; ++i) {
        open += "<a>";
        close += "</a>";
    }
    return R"(<executeJobParam xmlns="http://www.scene7.com/IpsApi/xsd">)" + open + "x" + close +
           "</executeJobParam>";
}

// The "billion laughs" entity bomb: ten levels of ten references, 10^9 copies if expanded.
std::string BillionLaughs() {
    std::string doctype = "<!DOCTYPE lolz [<!ENTITY lol0 \"lol\">";
    for (int i = 1; i <= 9; ++i) {
        doctype += "<!ENTITY lol" + std::to_string(i) + " \"";
        for (int j = 0; j < 10; ++j) {
            doctype += "&lol" + std::to_string(i - 1) + ";";
        }
        doctype += "\">";
    }
    return doctype + "]><executeJobParam xmlns=\"http://www.scene7.com/IpsApi/xsd\">" +
           "<companyHandle>&lol9;</companyHandle></executeJobParam>";
}

struct RejectCase {
    const char* name;
    std::string body;
    ErrorKind kind;
};

const std::vector<RejectCase>& RejectCases() {
    static const std::vector<RejectCase> cases = {
        {"not well-formed",
         "<executeJobParam xmlns=\"http://www.scene7.com/IpsApi/xsd\">",
         ErrorKind::InvalidRequestBody},
        {"empty body", "", ErrorKind::InvalidRequestBody},
        {"DOCTYPE",
         "<!DOCTYPE x [<!ENTITY e \"boom\">]>" + std::string(kSeedExample),
         ErrorKind::InvalidRequestBody},
        {"billion laughs", BillionLaughs(), ErrorKind::InvalidRequestBody},
        {"external entity (XXE)",
         "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
         "<executeJobParam xmlns=\"http://www.scene7.com/IpsApi/xsd\">"
         "<companyHandle>&xxe;</companyHandle></executeJobParam>",
         ErrorKind::InvalidRequestBody},
        {"DOCTYPE inside the envelope",
         R"(<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><!DOCTYPE x>)" +
             std::string(kSeedExample) + "</e:Body></e:Envelope>",
         ErrorKind::InvalidRequestBody},
        {"nested too deep", Nested(40), ErrorKind::InvalidRequestBody},
        // As deep as a 1 MiB body can nest: refused without exhausting the stack.
        {"nested 150000 deep", Nested(150000), ErrorKind::InvalidRequestBody},
        {"no Body",
         R"(<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header/></e:Envelope>)",
         ErrorKind::InvalidRequestBody},
        {"empty Body",
         R"(<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>)",
         ErrorKind::InvalidRequestBody},
        {"SOAP 1.2 envelope",
         R"(<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body>)" +
             std::string(kSeedExample) + "</e:Body></e:Envelope>",
         ErrorKind::InvalidRequestBody},
        {"not a Param element",
         R"(<executeJob xmlns="http://www.scene7.com/IpsApi/xsd"/>)",
         ErrorKind::InvalidRequestBody},
        {"bare Param suffix",
         R"(<Param xmlns="http://www.scene7.com/IpsApi/xsd"/>)",
         ErrorKind::InvalidRequestBody},
        {"no namespace", "<executeJobParam/>", ErrorKind::InvalidRequestBody},
        {"unknown namespace",
         R"(<executeJobParam xmlns="http://www.scene7.com/IpsApi/xsd/latest"/>)",
         ErrorKind::InvalidRequestBody},
        {"undeclared prefix", "<p:executeJobParam/>", ErrorKind::InvalidRequestBody},
        {"bad faultHttpStatusCode",
         Envelope(
             "<ns:authHeader><ns:faultHttpStatusCode>2x</ns:faultHttpStatusCode></ns:authHeader>",
             kSeedExample),
         ErrorKind::InvalidParameter},
    };
    return cases;
}

TEST(DecodeSoap, RejectsWhatIsNotAnIpsRequest) {
    for (const RejectCase& c : RejectCases()) {
        SCOPED_TRACE(c.name);
        try {
            DecodeSoap(SoapRequest(c.body));
            ADD_FAILURE() << "decoded";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), c.kind);
        }
    }
}

// Without a DTD nothing can define an entity: a reference other than the five XML predefined
// ones and character references stays literal text, it is never resolved.
TEST(DecodeSoap, LeavesUndefinedEntityReferencesUnexpanded) {
    const Call call = DecodeSoap(
        SoapRequest(R"(<executeJobParam xmlns="http://www.scene7.com/IpsApi/xsd">)"
                    "<companyHandle>&xxe;</companyHandle><jobHandle>a&amp;b&#x41;</jobHandle>"
                    "</executeJobParam>"));
    EXPECT_EQ(call.params.at("companyHandle").as_string(), "&xxe;");
    EXPECT_EQ(call.params.at("jobHandle").as_string(), "a&bA");
}

TEST(IsIpsNamespace, AcceptsThePreAndDatedNamespaces) {
    EXPECT_TRUE(IsIpsNamespace("http://www.scene7.com/IpsApi/xsd"));
    EXPECT_TRUE(IsIpsNamespace("http://www.scene7.com/IpsApi/xsd/2008-01-15"));
    EXPECT_TRUE(IsIpsNamespace("http://www.scene7.com/IpsApi/xsd/2021-04-26-beta"));
    EXPECT_FALSE(IsIpsNamespace("http://www.scene7.com/IpsApi/xsd/"));
    EXPECT_FALSE(IsIpsNamespace("http://www.scene7.com/IpsApi/xsd/2021-4-26"));
    EXPECT_FALSE(IsIpsNamespace("http://www.scene7.com/IpsApi/xsdx"));
    EXPECT_FALSE(IsIpsNamespace("http://example.com/IpsApi/xsd"));
}

pugi::xml_node BodyChild(const pugi::xml_document& document) {
    const pugi::xml_node envelope = document.child("soapenv:Envelope");
    EXPECT_STREQ(envelope.attribute("xmlns:soapenv").value(),
                 "http://schemas.xmlsoap.org/soap/envelope/");
    return envelope.child("soapenv:Body").first_child();
}

TEST(EncodeSoapReturn, RendersFieldsArraysAsItemsAndOmitsNulls) {
    const boost::json::object result{
        {"jobLogArray",
         boost::json::array{boost::json::object{{"jobHandle", "47|A|812"},
                                                {"fileSuccessCount", 3},
                                                {"fatalError", false},
                                                {"detailArray", boost::json::array{}},
                                                {"description", "a < b & \x1b[0m"}},
                            boost::json::object{{"jobHandle", "47|A|813"}, {"endDate", nullptr}}}},
        {"progress", 0.5},
    };
    const std::string ns = "http://www.scene7.com/IpsApi/xsd/2014-04-03";
    const std::string xml = EncodeSoapReturn("getJobLogs", result, ns);

    pugi::xml_document document;
    ASSERT_TRUE(document.load_string(xml.c_str())) << xml;
    const pugi::xml_node answer = BodyChild(document);
    EXPECT_STREQ(answer.name(), "getJobLogsReturn");
    EXPECT_EQ(answer.attribute("xmlns").value(), ns);
    EXPECT_STREQ(answer.child_value("progress"), "0.5");
    std::vector<pugi::xml_node> items;
    for (const pugi::xml_node item : answer.child("jobLogArray").children("items")) {
        items.push_back(item);
    }
    ASSERT_EQ(items.size(), 2u);
    EXPECT_STREQ(items[0].child_value("jobHandle"), "47|A|812");
    EXPECT_STREQ(items[0].child_value("fileSuccessCount"), "3");
    EXPECT_STREQ(items[0].child_value("fatalError"), "false");
    EXPECT_TRUE(items[0].child("detailArray"));
    EXPECT_FALSE(items[0].child("detailArray").first_child());
    EXPECT_STREQ(items[0].child_value("description"), "a < b & \xEF\xBF\xBD[0m");
    EXPECT_FALSE(items[1].child("endDate"));
}

TEST(EncodeSoapReturn, AnEmptyResultIsAnEmptyReturnElement) {
    pugi::xml_document document;
    ASSERT_TRUE(document.load_string(
        EncodeSoapReturn("executeJob", {}, "http://www.scene7.com/IpsApi/xsd").c_str()));
    const pugi::xml_node answer = BodyChild(document);
    EXPECT_STREQ(answer.name(), "executeJobReturn");
    EXPECT_FALSE(answer.first_child());
}

struct FaultCase {
    ErrorKind kind;
    const char* faultcode;
    const char* faultstring;
    const char* element;
};

constexpr FaultCase kFaultCases[] = {
    {ErrorKind::NoCredentials, "soapenv:Client", "AuthenticationException", "authenticationFault"},
    {ErrorKind::NoPermission, "soapenv:Client", "AuthorizationException", "authorizationFault"},
    {ErrorKind::Conflict, "soapenv:Client", "IpsApiException", "ipsApiFault"},
    {ErrorKind::Unavailable, "soapenv:Server", "IpsApiException", "ipsApiFault"},
    {ErrorKind::Internal, "soapenv:Server", "IpsApiException", "ipsApiFault"},
};

TEST(EncodeSoapFault, RendersTheIpsFaultDetail) {
    const std::string ns = "http://www.scene7.com/IpsApi/xsd/2014-04-03";
    for (const FaultCase& c : kFaultCases) {
        SCOPED_TRACE(c.element);
        const FaultSpec spec = FaultFor(c.kind);
        pugi::xml_document document;
        ASSERT_TRUE(document.load_string(EncodeSoapFault(spec, "jobHandle: <bad>", ns).c_str()));
        const pugi::xml_node fault = BodyChild(document);
        EXPECT_STREQ(fault.name(), "soapenv:Fault");
        EXPECT_STREQ(fault.child_value("faultcode"), c.faultcode);
        EXPECT_STREQ(fault.child_value("faultstring"), c.faultstring);
        const pugi::xml_node detail = fault.child("detail").child(c.element);
        EXPECT_EQ(detail.attribute("xmlns").value(), ns);
        EXPECT_EQ(detail.child_value("code"), std::to_string(spec.code));
        EXPECT_STREQ(detail.child_value("reason"), "jobHandle: <bad>");
    }
}

TEST(EncodeSoapFault, DefaultsToThePre40Namespace) {
    pugi::xml_document document;
    ASSERT_TRUE(document.load_string(
        EncodeSoapFault(FaultFor(ErrorKind::InvalidRequestBody), "body: not XML", "").c_str()));
    const pugi::xml_node detail = BodyChild(document).child("detail").child("ipsApiFault");
    EXPECT_STREQ(detail.attribute("xmlns").value(), "http://www.scene7.com/IpsApi/xsd");
    EXPECT_STREQ(detail.child_value("code"), "30003");
}

}  // namespace
}  // namespace jobd::api
