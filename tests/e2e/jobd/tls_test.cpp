// End to end: HTTPS on the real daemon (issue #7, item 1). The certificates are made here with
// the openssl CLI: a throwaway CA and server certificates for 127.0.0.1 and localhost.

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <signal.h>
#include <sys/wait.h>

#include "e2e/jobd/daemon_fixture.hpp"

namespace jobd::test {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace fs = std::filesystem;

constexpr const char* kExecuteSoap = R"(<executeJobParam xmlns="http://www.scene7.com/IpsApi/xsd">
   <companyHandle>47</companyHandle>
   <jobHandle>47|My Test Job|</jobHandle>
</executeJobParam>)";

std::string ReadText(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Runs a shell command in `dir`; returns the exit code and the output (stdout and stderr).
CommandResult Shell(const fs::path& dir, const std::string& command) {
    const fs::path out = dir / "shell.out";
    const std::string line =
        "cd '" + dir.string() + "' && (" + command + ") >'" + out.string() + "' 2>&1";
    const int status = std::system(line.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadText(out)};
}

void Openssl(const fs::path& dir, const std::string& args) {
    const CommandResult result = Shell(dir, "openssl " + args);
    if (result.exit_code != 0) {
        throw std::runtime_error("openssl " + args + " failed:\n" + result.out);
    }
}

// A CA (ca.crt, ca.key) in `dir`, valid for two days; EC keys, as they are quick to make.
void MakeCa(const fs::path& dir) {
    std::ofstream(dir / "ca.cnf") << "[req]\ndistinguished_name = dn\nprompt = no\n"
                                  << "[dn]\nCN = jobd test CA\n"
                                  << "[v3_ca]\nbasicConstraints = critical,CA:TRUE\n"
                                  << "keyUsage = critical,keyCertSign,cRLSign\n"
                                  << "subjectKeyIdentifier = hash\n";
    Openssl(dir,
            "req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
            "-out ca.crt -days 2 -config ca.cnf -extensions v3_ca");
}

// `name`.crt and `name`.key in `dir`: a server certificate for 127.0.0.1 and localhost, signed
// by the CA of MakeCa, with the given serial number (hex) and common name.
void MakeServerCertificate(const fs::path& dir,
                           const std::string& name,
                           const std::string& serial) {
    std::ofstream(dir / (name + ".cnf"))
        << "[req]\ndistinguished_name = dn\nprompt = no\n"
        << "[dn]\nCN = jobd test " << name << "\n"
        << "[v3_server]\nbasicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature\n"
        << "extendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1,DNS:localhost\n";
    Openssl(dir,
            "req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + name +
                ".key -out " + name + ".csr -config " + name + ".cnf");
    Openssl(dir,
            "x509 -req -in " + name + ".csr -CA ca.crt -CAkey ca.key -set_serial 0x" + serial +
                " -days 2 -out " + name + ".crt -extfile " + name + ".cnf -extensions v3_server");
}

struct TlsClientOptions {
    fs::path ca_file;     // trusted CA; the certificate must also name 127.0.0.1
    int max_version = 0;  // e.g. TLS1_2_VERSION; 0: the newest
    bool legacy = false;  // allow TLS 1.1 on our side (security level 0)
};

// One HTTPS connection to the daemon on 127.0.0.1; the constructor throws
// boost::system::system_error when the handshake fails.
class HttpsConnection {
public:
    HttpsConnection(const std::string& port, const TlsClientOptions& options)
        : context_(ssl::context::tls_client), stream_(io_, Configure(context_, options)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream_.native_handle()), "127.0.0.1");
        asio::connect(stream_.next_layer(),
                      asio::ip::tcp::resolver(io_).resolve("127.0.0.1", port));
        stream_.handshake(ssl::stream_base::client);
    }

    std::string Version() { return SSL_get_version(stream_.native_handle()); }

    // The server certificate's serial number in hex, as openssl's -set_serial took it.
    std::string PeerSerial() {
        X509* certificate = SSL_get1_peer_certificate(stream_.native_handle());
        BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr);
        char* hex = BN_bn2hex(number);
        std::string serial(hex);
        OPENSSL_free(hex);
        BN_free(number);
        X509_free(certificate);
        return serial;
    }

    HttpAnswer Post(const std::string& target,
                    const std::string& body,
                    const std::map<std::string, std::string>& headers) {
        http::request<http::string_body> request{http::verb::post, target, 11};
        request.set(http::field::host, "127.0.0.1");
        for (const auto& [name, value] : headers) {
            request.set(name, value);
        }
        request.body() = body;
        request.prepare_payload();
        http::write(stream_, request);
        boost::beast::flat_buffer buffer;
        http::response<http::string_body> response;
        http::read(stream_, buffer, response);
        return {static_cast<int>(response.result_int()), response.body(), {}};
    }

private:
    static ssl::context& Configure(ssl::context& context, const TlsClientOptions& options) {
        context.set_verify_mode(ssl::verify_peer);
        if (!options.ca_file.empty()) {
            context.load_verify_file(options.ca_file.string());
        }
        if (options.max_version != 0) {
            SSL_CTX_set_max_proto_version(context.native_handle(), options.max_version);
        }
        if (options.legacy) {
            SSL_CTX_set_security_level(context.native_handle(), 0);
            SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_1_VERSION);
            SSL_CTX_set_cipher_list(context.native_handle(), "DEFAULT@SECLEVEL=0");
        }
        return context;
    }

    asio::io_context io_;
    ssl::context context_;
    ssl::stream<asio::ip::tcp::socket> stream_;
};

// The handshake's error message, or "" when it succeeded.
std::string HandshakeError(const std::string& port, const TlsClientOptions& options) {
    try {
        HttpsConnection connection(port, options);
        return "";
    } catch (const boost::system::system_error& error) {
        return error.what();
    }
}

// A daemon serving HTTPS on 127.0.0.1 (the address its certificate names) and plain HTTP on
// 0.0.0.0, which it must warn about.
class TlsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        daemon_ =
            std::make_unique<JobdProcess>(std::string{},
                                          "  listen: ['http://0.0.0.0:0', '127.0.0.1:0']\n"
                                          "  tls: {cert_file: server.crt, key_file: server.key}\n");
        MakeCa(daemon_->dir());
        MakeServerCertificate(daemon_->dir(), "server", "1001");
        StartDemoDaemon(*daemon_);
        // One job per test that runs one: overlap Forbid refuses a second run of a job.
        HttpsConnection connection(daemon_->port(), Trusting());
        for (const std::string name : {"My Test Job", "Json Job", "Jobctl Job"}) {
            const HttpAnswer submitted = connection.Post(
                "/api/v1/submitJob",
                R"({"companyHandle":"47","jobName":")" + name +
                    R"(","execSchedule":"0 0 0 1 1 ?","imageServingPublishJob":{"publishType":"Full"}})",
                Admin("application/json"));
            ASSERT_EQ(submitted.status, 200) << submitted.body;
        }
    }

    static void TearDownTestSuite() { daemon_.reset(); }

    static TlsClientOptions Trusting() { return {daemon_->dir() / "ca.crt"}; }

    static std::map<std::string, std::string> Admin(const std::string& content_type) {
        return {{"Authorization", BasicAuth("admin@example.com", "secret-password")},
                {"Content-Type", content_type}};
    }

    // `jobctl <args>` against the HTTPS listener as the admin; stdout and stderr together.
    static CommandResult Jobctl(const std::string& args) {
        return Shell(daemon_->dir(),
                     "JOBD_USER=admin@example.com JOBD_PASSWORD=secret-password '" +
                         std::string(std::getenv("JOBD_BIN_DIR")) +
                         "/jobctl' --url https://127.0.0.1:" + daemon_->port() + " " + args);
    }

    static std::unique_ptr<JobdProcess> daemon_;
};

std::unique_ptr<JobdProcess> TlsTest::daemon_;

TEST_F(TlsTest, ExecuteJobOverHttpsInSoapAndJson) {
    HttpsConnection connection(daemon_->port(), Trusting());
    const HttpAnswer soap = connection.Post("/IpsApi", kExecuteSoap, Admin("text/xml"));
    EXPECT_EQ(soap.status, 200) << soap.body;
    EXPECT_NE(soap.body.find("executeJobReturn"), std::string::npos) << soap.body;
    // The same keep-alive connection carries the next request.
    const HttpAnswer answer =
        connection.Post("/api/v1/executeJob",
                        R"({"companyHandle":"47","jobHandle":"47|Json Job|"})",
                        Admin("application/json"));
    EXPECT_EQ(answer.status, 200) << answer.body;
    EXPECT_TRUE(json::parse(answer.body).as_object().contains("runHandle")) << answer.body;
}

TEST_F(TlsTest, PlainHttpToTheHttpsListenerGets400) {
    const HttpAnswer answer = daemon_->Post("/api/v1/getActiveJobs", "{}");
    EXPECT_EQ(answer.status, 400);
    EXPECT_NE(answer.body.find("https://"), std::string::npos) << answer.body;
    EXPECT_EQ(HandshakeError(daemon_->port(), Trusting()), "");  // the listener goes on
}

TEST_F(TlsTest, Tls11IsRefusedByTheServer) {
    const std::string error =
        HandshakeError(daemon_->port(), {Trusting().ca_file, TLS1_1_VERSION, true});
    // The server's alert, not a refusal on our side.
    EXPECT_NE(error.find("protocol version"), std::string::npos) << error;
    HttpsConnection tls12(daemon_->port(), {Trusting().ca_file, TLS1_2_VERSION});
    EXPECT_EQ(tls12.Version(), "TLSv1.2");
}

TEST_F(TlsTest, AnUntrustedCertificateFailsTheHandshake) {
    const std::string error = HandshakeError(daemon_->port(), {});
    EXPECT_NE(error.find("certificate verify failed"), std::string::npos) << error;
}

TEST_F(TlsTest, WarnsAboutThePlainListenerOnANonLoopbackAddressOnly) {
    const std::string log = daemon_->Log();
    const auto warning = log.find("listening without tls on a non-loopback address");
    ASSERT_NE(warning, std::string::npos) << log;
    const std::string line = log.substr(warning, log.find('\n', warning) - warning);
    EXPECT_NE(line.find("0.0.0.0"), std::string::npos) << line;
    EXPECT_EQ(log.find("listening without tls", warning + 1), std::string::npos) << log;
}

// Certificate renewal: SIGHUP makes new connections use the new files; a bad new certificate
// keeps the running one and is logged naming the key.
TEST_F(TlsTest, SighupReloadsTheCertificateAndKeepsItWhenTheNewOneIsBad) {
    const fs::path dir = daemon_->dir();
    const std::string before = HttpsConnection(daemon_->port(), Trusting()).PeerSerial();
    const std::string renewed = before == "1002" ? "1003" : "1002";
    MakeServerCertificate(dir, "renewed", renewed);
    fs::copy_file(dir / "renewed.key", dir / "server.key", fs::copy_options::overwrite_existing);
    fs::copy_file(dir / "renewed.crt", dir / "server.crt", fs::copy_options::overwrite_existing);
    HttpsConnection old_connection(daemon_->port(), Trusting());
    daemon_->SendSignal(SIGHUP);
    EXPECT_TRUE(WaitFor([&] {
        return HttpsConnection(daemon_->port(), Trusting()).PeerSerial() == renewed;
    })) << daemon_->Log();
    // A connection opened before the reload still works.
    EXPECT_EQ(old_connection.Post("/api/v1/getActiveJobs", "{}", Admin("application/json")).status,
              200);

    std::ofstream(dir / "server.key") << "not a key\n";
    daemon_->SendSignal(SIGHUP);
    EXPECT_TRUE(WaitFor([&] { return daemon_->Log().find("reload refused") != std::string::npos; }))
        << daemon_->Log();
    EXPECT_NE(daemon_->Log().find("api.tls.key_file"), std::string::npos);
    EXPECT_EQ(HttpsConnection(daemon_->port(), Trusting()).PeerSerial(), renewed);
    fs::copy_file(dir / "renewed.key", dir / "server.key", fs::copy_options::overwrite_existing);
}

TEST_F(TlsTest, JobctlOverHttpsWithCacert) {
    const CommandResult result = Jobctl("--cacert ca.crt execute 47 'Jobctl Job'");
    EXPECT_EQ(result.exit_code, 0) << result.out;
    EXPECT_NE(result.out.find("47|Jobctl Job|"), std::string::npos) << result.out;
}

TEST_F(TlsTest, JobctlWithoutCacertRefusesTheCertificate) {
    const CommandResult result = Jobctl("active 47");
    EXPECT_EQ(result.exit_code, 1) << result.out;
    EXPECT_NE(result.out.find("certificate is not trusted"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("--cacert"), std::string::npos) << result.out;
}

TEST_F(TlsTest, JobctlInsecureSkipsTheCheck) {
    const CommandResult result = Jobctl("--insecure active 47");
    EXPECT_EQ(result.exit_code, 0) << result.out;
}

TEST_F(TlsTest, JobctlChecksTheCertificateAgainstAHostName) {
    // The certificate names localhost too: checked as a DNS name, sent as SNI.
    const CommandResult result =
        Shell(daemon_->dir(),
              std::string(std::getenv("JOBD_BIN_DIR")) +
                  "/jobctl --cacert ca.crt --url https://localhost:" + daemon_->port() +
                  " --json active 47");
    // Sent no credentials, so the daemon's answer proves the TLS session was established.
    EXPECT_NE(result.out.find("authenticationFault"), std::string::npos) << result.out;
}

// min_version "1.3" refuses a TLS 1.2 client.
TEST(TlsMinVersion, OneThreeRefusesTls12) {
    JobdProcess daemon(
        std::string{},
        "  listen: 127.0.0.1:0\n"
        "  tls: {cert_file: server.crt, key_file: server.key, min_version: '1.3'}\n");
    MakeCa(daemon.dir());
    MakeServerCertificate(daemon.dir(), "server", "2001");
    daemon.Start();
    const fs::path ca = daemon.dir() / "ca.crt";
    const std::string error = HandshakeError(daemon.port(), {ca, TLS1_2_VERSION});
    EXPECT_NE(error.find("protocol version"), std::string::npos) << error;
    EXPECT_EQ(HttpsConnection(daemon.port(), {ca}).Version(), "TLSv1.3");
    EXPECT_EQ(daemon.Terminate(), 0);
}

// A bad certificate or key is a config error naming the key: exit 2 from check-config and from
// the daemon itself, before it touches the database.
TEST(TlsConfig, BadKeyOrCertificateIsAConfigErrorNamingTheKey) {
    JobdProcess daemon(std::string{},
                       "  listen: 127.0.0.1:0\n"
                       "  tls: {cert_file: server.crt, key_file: server.key}\n");
    const fs::path dir = daemon.dir();
    MakeCa(dir);
    MakeServerCertificate(dir, "server", "3001");
    MakeServerCertificate(dir, "other", "3002");
    const std::string jobd = std::string(std::getenv("JOBD_BIN_DIR")) + "/jobd --config jobd.yaml";
    EXPECT_EQ(Shell(dir, jobd + " check-config").exit_code, 0);

    struct Case {
        std::string file, content, key;
    };

    const std::vector<Case> cases = {
        {"server.key", "not a key\n", "api.tls.key_file"},
        {"server.key", ReadText(dir / "other.key"), "api.tls.key_file"},  // not this cert's
        {"server.crt", "not a certificate\n", "api.tls.cert_file"},
    };
    const std::string good_key = ReadText(dir / "server.key");
    const std::string good_crt = ReadText(dir / "server.crt");
    for (const Case& c : cases) {
        std::ofstream(dir / "server.key") << good_key;
        std::ofstream(dir / "server.crt") << good_crt;
        std::ofstream(dir / c.file) << c.content;
        const CommandResult check = Shell(dir, jobd + " check-config");
        EXPECT_EQ(check.exit_code, 2) << check.out;
        EXPECT_NE(check.out.find(c.key), std::string::npos) << check.out;
        const CommandResult run = Shell(dir, jobd);
        EXPECT_EQ(run.exit_code, 2) << run.out;
        EXPECT_NE(run.out.find(c.key), std::string::npos) << run.out;
    }
    std::ofstream(dir / "server.crt") << good_crt;
    fs::remove(dir / "server.key");
    const CommandResult missing = Shell(dir, jobd + " check-config");
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.out.find("api.tls.key_file: cannot read"), std::string::npos) << missing.out;
}

}  // namespace
}  // namespace jobd::test
