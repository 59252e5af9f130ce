// `jobd`: wires config, store, engine and API onto one io_context and runs until SIGTERM
// (contract §1, §9). Signals, sd_notify and the watchdog live here; behaviour lives in lib/.

#include <csignal>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include "commands.hpp"
#include "jobd/api/http_server.hpp"
#include "jobd/api/router.hpp"
#include "jobd/api/service.hpp"
#include "jobd/api/tls_context.hpp"
#include "jobd/config/config.hpp"
#include "jobd/engine/engine.hpp"
#include "jobd/engine/job_change_watch.hpp"
#include "jobd/engine/pruner.hpp"
#include "jobd/log/logger.hpp"
#include "jobd/log/outcome_log.hpp"
#include "jobd/metrics/metrics.hpp"
#include "jobd/model/error.hpp"
#include "jobd/store/pool.hpp"
#include "setup.hpp"

namespace jobd::daemon {
namespace {

namespace asio = boost::asio;

spdlog::logger& Log() {
    return log::Get(log::Subsystem::Main);
}

void Notify(const std::string& state) {
    sd_notify(0, state.c_str());
}

std::string Join(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) {
        text += (text.empty() ? "" : " ") + item;
    }
    return text;
}

// Everything the running daemon owns, in construction order; destroyed after io.run() returns.
class Daemon {
public:
    Daemon(asio::io_context& io,
           std::filesystem::path config_path,
           std::shared_ptr<const config::Config> config,
           const std::string& url,
           std::shared_ptr<asio::ssl::context> tls)
        : io_(io),
          config_path_(std::move(config_path)),
          config_(std::move(config)),
          metrics_(JOBD_VERSION, std::chrono::system_clock::now()),
          pool_(url, config_->database.pool_size, config_->node.name),
          outcomes_(config_->log.dir),
          engine_(io.get_executor(), pool_, outcomes_, metrics_, engine::SettingsFrom(*config_)),
          pruner_(io.get_executor(), pool_, metrics_, engine::PrunerSettingsFrom(*config_)),
          job_changes_(
              io.get_executor(),
              url,
              {.on_change =
                   [this](std::optional<TimePoint> next_fire) { engine_.WakeAt(next_fire); },
               .on_released = [this]() { engine_.RunsReleased(); },
               .on_work_wanted =
                   [this](store::WorkWanted want) { engine_.WorkWanted(std::move(want)); },
               .on_connected = [this]() { engine_.Listening(); }}),
          service_(pool_, engine_, config_),
          router_(
              service_, [this]() { return Health(); }, metrics_, [this]() { return Scrape(); }),
          server_(
              io,
              config_->api,
              [this](api::HttpRequest request) { return router_.Route(std::move(request)); },
              std::move(tls)),
          signals_(io, SIGTERM, SIGINT, SIGHUP),
          watchdog_(io) {}

    asio::awaitable<void> Start() {
        co_await engine_.Start();
        job_changes_.Start();
        pruner_.Start();
        server_.Start();
        const std::string endpoints = Join(server_.Endpoints());
        Log().info("jobd started version={} node={} listen=\"{}\"",
                   JOBD_VERSION,
                   config_->node.name,
                   endpoints);
        Notify("READY=1\nSTATUS=listening on " + endpoints);
        WaitForSignal();
        StartWatchdog();
    }

private:
    // /healthz (docs/operations.md): the database through the pool, the engine on its strand,
    // the outcome directory by two syscalls; nothing blocks the io thread.
    asio::awaitable<api::HealthReport> Health() {
        api::HealthReport report;
        try {
            co_await pool_.Run([](pqxx::work& tx) { tx.exec("SELECT 1"); });
        } catch (const Error& e) {
            report.database_problem = e.what();
        }
        const engine::EngineStats stats = co_await engine_.Stats();
        report.stopping = stopping_;
        report.scheduler_running = stats.scheduling;
        report.log_dir_problem = outcomes_.Problem();
        co_return report;
    }

    // Engine figures come from its strand, the pool's from atomics: nothing here blocks.
    asio::awaitable<std::string> Scrape() {
        const engine::EngineStats stats = co_await engine_.Stats();
        co_return metrics_.Write(
            {stats.queued, stats.running},
            {pool_.Size(), pool_.InUse(), pool_.Waiting(), pool_.Waits(), pool_.Errors()});
    }

    void WaitForSignal() {
        signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
            if (ec) {
                return;
            }
            if (signal == SIGHUP) {
                Reload();
                WaitForSignal();
                return;
            }
            Shutdown(signal);
        });
    }

    // SIGHUP: validate in full, then swap; a bad file keeps the running config.
    void Reload() {
        std::shared_ptr<const config::Config> next;
        try {
            next = std::make_shared<const config::Config>(
                config::Load(config_path_, config::ProcessEnvironment()));
        } catch (const config::ConfigError& e) {
            // The error names the key at fault (contract §4), in the journal with the refusal.
            Log().error("reload refused, keeping the running config file={} error=\"{}\"",
                        config_path_.string(),
                        e.what());
            return;
        }
        // The certificate is part of the config: a bad one refuses the whole reload.
        std::shared_ptr<asio::ssl::context> tls;
        if (next->api.tls) {
            try {
                tls = api::MakeTlsContext(*next->api.tls);
            } catch (const config::ConfigError& e) {
                Log().error(
                    "reload refused, keeping the running config and certificate file={} "
                    "error=\"{}\"",
                    config_path_.string(),
                    e.what());
                return;
            }
        }
        for (const auto& key : config::ChangedNonReloadableKeys(*config_, *next)) {
            Log().warn("config key changed, takes effect after a restart key={}", key);
        }
        config_ = next;
        if (tls) {
            server_.SetTlsContext(std::move(tls));  // without api.tls now, listeners keep theirs
        }
        log::SetLevel(config_->log.level);
        engine_.Reload(engine::SettingsFrom(*config_));
        pruner_.Reload(engine::PrunerSettingsFrom(*config_));
        service_.Reload(config_);
        Log().info("config reloaded file={}", config_path_.string());
    }

    // SIGTERM (contract §9): stop accepting work, drain runs, then let io.run() return.
    void Shutdown(int signal) {
        Log().info("shutting down signal={}", signal);
        Notify("STOPPING=1");
        stopping_ = true;
        signals_.cancel();
        watchdog_.cancel();
        job_changes_.Stop();
        pruner_.Stop();
        server_.Stop([] {});
        // The daemon outlives io.run(), which returns only once this drain has completed.
        asio::co_spawn(io_, engine_.Drain(), [](std::exception_ptr error) {
            if (error) {
                Log().error("drain failed");
            }
            Log().info("jobd stopped");
        });
    }

    // Type=notify with WatchdogSec: pings come from the io thread, so a stuck loop is restarted.
    void StartWatchdog() {
        std::uint64_t usec = 0;
        if (sd_watchdog_enabled(0, &usec) <= 0 || stopping_) {
            return;
        }
        watchdog_.expires_after(std::chrono::microseconds(usec / 2));
        watchdog_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) {
                Notify("WATCHDOG=1");
                StartWatchdog();
            }
        });
    }

    asio::io_context& io_;
    const std::filesystem::path config_path_;
    std::shared_ptr<const config::Config> config_;  // io thread only
    metrics::Metrics metrics_;
    store::Pool pool_;
    log::OutcomeLog outcomes_;
    engine::Engine engine_;
    engine::Pruner pruner_;               // bounded history (contract §9)
    engine::JobChangeWatch job_changes_;  // wakes engine_'s scheduler on any node's job change
    api::Service service_;
    api::Router router_;
    api::HttpServer server_;
    asio::signal_set signals_;
    asio::steady_timer watchdog_;
    bool stopping_ = false;
};

}  // namespace

int RunDaemon(const std::filesystem::path& config_path) {
    // A child that closes its stdin early must not kill the daemon with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    const auto config = LoadConfig(config_path);
    if (!config) {
        return kExitUsage;
    }
    log::Setup(config->log.level);
    const auto tls = LoadTls(config_path, *config);
    if (!tls) {
        return kExitUsage;
    }
    try {
        const std::string url = DatabaseUrl(*config);
        ApplyMigrations(url);
        asio::io_context io(1);
        Daemon daemon(io, config_path, config, url, *tls);
        asio::co_spawn(io, daemon.Start(), [](std::exception_ptr error) {
            if (error) {
                std::rethrow_exception(error);  // leaves io.run(): start-up failed
            }
        });
        io.run();
        return kExitOk;
    } catch (const config::ConfigError& e) {
        Log().critical("{}: {}", config_path.string(), e.what());
        return kExitUsage;
    } catch (const std::exception& e) {
        Log().critical("jobd failed: {}", e.what());
        return kExitFailure;
    }
}

}  // namespace jobd::daemon
