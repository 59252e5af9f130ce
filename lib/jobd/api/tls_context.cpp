#include "jobd/api/tls_context.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include "jobd/log/logger.hpp"

namespace jobd::api {
namespace {

namespace ssl = boost::asio::ssl;

constexpr const char* kCertKey = "api.tls.cert_file";
constexpr const char* kKeyKey = "api.tls.key_file";

[[noreturn]] void Fail(const char* key, const std::string& problem) {
    throw config::ConfigError(key, std::string(key) + ": " + problem);
}

// OpenSSL's own message ("no start line") says little about a file it could not open at all.
void CheckReadable(const char* key, const std::filesystem::path& path) {
    const std::ifstream in(path);
    if (!in) {
        Fail(key, "cannot read " + path.string() + ": " + std::strerror(errno));
    }
}

std::string NameText(const X509_NAME* name) {
    BIO* bio = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return text;
}

std::string TimeText(const ASN1_TIME* time) {
    BIO* bio = BIO_new(BIO_s_mem());
    ASN1_TIME_print(bio, time);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return text;
}

std::string SerialText(const X509* certificate) {
    BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr);
    char* hex = BN_bn2hex(number);
    std::string text = hex != nullptr ? hex : "?";
    OPENSSL_free(hex);
    BN_free(number);
    return text;
}

void LogCertificate(const config::Tls& tls, SSL_CTX* context) {
    const X509* certificate = SSL_CTX_get0_certificate(context);
    auto& logger = log::Get(log::Subsystem::Api);
    logger.info("tls certificate loaded cert_file={} subject=\"{}\" serial={} not_after=\"{}\"",
                tls.cert_file.string(),
                NameText(X509_get_subject_name(certificate)),
                SerialText(certificate),
                TimeText(X509_get0_notAfter(certificate)));
    if (X509_cmp_current_time(X509_get0_notAfter(certificate)) < 0) {
        logger.warn("tls certificate has expired, clients will refuse it cert_file={}",
                    tls.cert_file.string());
    }
}

}  // namespace

std::shared_ptr<ssl::context> MakeTlsContext(const config::Tls& tls) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    context->set_options(ssl::context::default_workarounds | ssl::context::single_dh_use |
                         ssl::context::no_compression);
    const int min_version = tls.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(context->native_handle(), min_version);
    // An encrypted key would make OpenSSL prompt on the terminal; jobd has no passphrase to give.
    context->set_password_callback(
        [](std::size_t, ssl::context::password_purpose) { return std::string(); });

    boost::system::error_code ec;
    CheckReadable(kCertKey, tls.cert_file);
    context->use_certificate_chain_file(tls.cert_file.string(), ec);
    if (ec) {
        Fail(kCertKey, tls.cert_file.string() + " is not a PEM certificate chain: " + ec.message());
    }
    CheckReadable(kKeyKey, tls.key_file);
    context->use_private_key_file(tls.key_file.string(), ssl::context::pem, ec);
    const bool mismatch =
        ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
    if (ec && !mismatch) {
        Fail(kKeyKey,
             tls.key_file.string() + " is not an unencrypted PEM private key: " + ec.message());
    }
    if (mismatch || SSL_CTX_check_private_key(context->native_handle()) != 1) {
        Fail(kKeyKey, tls.key_file.string() + " does not match the certificate in " + kCertKey);
    }
    LogCertificate(tls, context->native_handle());
    return context;
}

}  // namespace jobd::api
