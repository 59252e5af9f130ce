#include "jobd/api/operation_schema.hpp"

#include <algorithm>

namespace jobd::api {
namespace {

using auth::Operation;
using K = FieldKind;

constexpr bool kReq = true;
constexpr bool kOpt = false;

FieldSchema JsonOnly(FieldSchema field) {
    field.json_only = true;
    return field;
}

// ---- Request fields shared by several operations ----

const FieldSchema kCompany{"companyHandle", K::String, kReq, "Company id, e.g. 47."};
const FieldSchema kOptionalCompany{
    "companyHandle", K::String, kOpt, "Company id; without it every company the caller sees."};
const FieldSchema kJobHandle{"jobHandle", K::String, kReq, "Job handle <company>|<jobName>|."};
const FieldSchema kJobFilter{
    "jobHandle", K::String, kOpt, "Only this job (a job or run handle)."};
const FieldSchema kOriginalName{"originalName", K::String, kOpt, "Only the job of this name."};
const FieldSchema kSortDirection{"sortDirection", K::String, kOpt, "Ascending or Descending."};
const FieldSchema kEmailSetting{
    "emailSetting", K::String, kReq, "All, Error, ErrorAndWarning, JobCompletion or None."};
const FieldSchema kOptionalEmailSetting{
    "emailSetting", K::String, kOpt, "All, Error, ErrorAndWarning, JobCompletion or None."};
const FieldSchema kCompletionUrl{
    "httpCompletionUrl", K::String, kOpt, "URL to send a completion notice to."};
const FieldSchema kContextHandle{"contextHandle", K::String, kOpt, "Publish context handle."};

std::vector<FieldSchema> JobControlRequest() {
    return {kCompany, kJobHandle};
}

// The IPS follow-on publish jobs an upload or reprocess job may start (pick one).
std::vector<FieldSchema> PostPublishFields() {
    return {
        {"postImageServingPublishJob", K::Type, kOpt, "Image serving publish after the job.",
         "ImageServingPublishJob"},
        {"postImageRenderingPublishJob", K::Type, kOpt, "Image rendering publish after the job.",
         "ImageRenderingPublishJob"},
        {"postVideoPublishJob", K::Type, kOpt, "Video publish after the job.", "VideoPublishJob"},
    };
}

std::vector<FieldSchema> CropFields() {
    return {
        {"manualCropOptions", K::Any, kOpt, "IPS manual crop options (one crop option only)."},
        {"autoColorCropOptions", K::Any, kOpt, "IPS auto color crop options."},
        {"autoTransparentCropOptions", K::Any, kOpt, "IPS auto transparent crop options."},
    };
}

std::vector<FieldSchema> Concat(std::vector<FieldSchema> head,
                                const std::vector<FieldSchema>& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
}

// ---- Operations (the code in *_operations.cpp reads and answers exactly these) ----

std::vector<OperationSchema> BuildOperations() {
    const FieldSchema job_array{
        "jobArray", K::TypeArray, kReq, "Matching jobs.", "ActiveJob"};
    const FieldSchema scheduled_array{
        "jobArray", K::TypeArray, kReq, "Matching jobs.", "ScheduledJob"};
    const FieldSchema log_array{"jobLogArray", K::TypeArray, kReq, "Job logs.", "JobLog"};
    return {
        {Operation::submitJob, "submitJob", "Creates a job; runs it now, once or on a schedule.",
         {
             kCompany,
             {"userHandle", K::String, kOpt, "Accepted for IPS compatibility; not used."},
             {"jobName", K::String, kReq, "Unique per company; no '|' or control characters."},
             {"locale", K::String, kOpt, "Locale of the job's log messages, e.g. en-US."},
             {"execTime", K::DateTime, kOpt, "Run once at this time (not with execSchedule)."},
             {"execSchedule", K::String, kOpt, "Quartz or crontab schedule, or @every."},
             {"description", K::String, kOpt, "Free text shown by the query operations."},
             {"timeZone", K::String, kOpt, "IANA zone of the schedule; default the server's."},
             {"overlap", K::String, kOpt, "Forbid (default), Allow or Queue."},
             {"timeoutSeconds", K::Int, kOpt, "Stop a run after this many seconds."},
             {"maxRetries", K::Int, kOpt, "Retries of a failed run, 0-100 (default 0)."},
             {"retryBackoffSeconds", K::Int, kOpt, "Delay before a retry (default 10)."},
             {"misfire", K::String, kOpt, "FireOnce (default) or Skip."},
             {"", K::JobType, kReq, "Exactly one job-type element."},
         },
         {{"jobHandle", K::String, kReq, "The new job's handle."}}},
        {Operation::executeJob, "executeJob", "Runs a job now, whatever its schedule.",
         JobControlRequest(),
         {JsonOnly({"runHandle", K::String, kReq, "The queued run: <company>|<jobName>|<id>."})}},
        {Operation::stopJob, "stopJob", "Stops the job's queued and running runs.",
         JobControlRequest(), {}},
        {Operation::pauseJob, "pauseJob", "Stops the schedule from firing the job.",
         JobControlRequest(), {}},
        {Operation::resumeJob, "resumeJob", "Lets the schedule fire a paused job again.",
         JobControlRequest(), {}},
        {Operation::deleteJob, "deleteJob", "Deletes a job; its logs stay readable.",
         JobControlRequest(), {}},
        {Operation::getActiveJobs, "getActiveJobs", "Lists queued and running runs.",
         {kOptionalCompany, kJobFilter, kOriginalName,
          {"includeWaitingJobs", K::Boolean, kOpt, "Accepted for IPS compatibility."}},
         {job_array}},
        {Operation::getScheduledJobs, "getScheduledJobs", "Lists jobs and their next fire.",
         {kOptionalCompany, kJobFilter, kOriginalName},
         {scheduled_array}},
        {Operation::getJobLogs, "getJobLogs", "Lists runs (job logs), newest first by default.",
         {
             kOptionalCompany,
             {"userHandle", K::String, kOpt, "Only runs submitted by this user id."},
             {"sortBy", K::String, kOpt, "JobName, LogType, StartDate (default), ..."},
             kSortDirection,
             {"startDate", K::DateTime, kOpt, "Only runs started at or after this time."},
             {"endDate", K::DateTime, kOpt, "Only runs started at or before this time."},
             {"numRows", K::Int, kOpt, "At most this many logs, 1-10000 (default 100)."},
         },
         {log_array}},
        {Operation::getJobLogDetails, "getJobLogDetails", "One run's log with its detail lines.",
         {
             kCompany,
             {"jobHandle", K::String, kOpt, "A run handle, or a job handle for its latest run."},
             {"originalName", K::String, kOpt, "Latest run of the job of this name."},
             {"logTypeArray", K::StringArray, kOpt, "Only details of these log types."},
             {"recordsPerPage", K::Int, kOpt, "Details per page, 1-1000 (default 1000)."},
             {"resultsPage", K::Int, kOpt, "Page number from 1 (default 1)."},
             {"sortBy", K::String, kOpt, "Date (default) or LogType."},
             kSortDirection,
         },
         {log_array}},
        {Operation::addCompany, "addCompany", "Creates a company (IpsAdmin only).",
         {
             {"companyName", K::String, kReq, "The company's name."},
             {"companyHandle", K::String, kOpt, "Wanted company id; default the next free one."},
         },
         {{"companyHandle", K::String, kReq, "The new company's id."}}},
        {Operation::addUser, "addUser", "Creates a user with a role (IpsAdmin only).",
         {
             {"email", K::String, kReq, "The user's e-mail address, used to log in."},
             {"password", K::String, kReq, "At least 8 characters."},
             {"defaultRole", K::String, kOpt, "IPS user role, e.g. IpsUser (or give role)."},
             {"role", K::String, kOpt, "Same as defaultRole."},
             {"companyHandle", K::String, kOpt, "Company of the role; not for IpsAdmin."},
         },
         {{"userHandle", K::String, kReq, "The new user's id."}}},
    };
}

// ---- Complex types: results (log_operations.cpp emits these fields) ----

ComplexTypeSchema ActiveJob() {
    return {"ActiveJob", "A queued or running run.", {
        {"companyHandle", K::String, kReq, "Company id."},
        {"jobHandle", K::String, kReq, "Run handle <company>|<jobName>|<runId>."},
        {"name", K::String, kReq, "Job name."},
        {"originalName", K::String, kReq, "Job name as submitted."},
        {"type", K::String, kReq, "Job type constant, e.g. ImageServingPublish or Command."},
        {"state", K::String, kReq, "WaitingCoordinator (queued) or Running."},
        {"submitUserEmail", K::String, kReq, "E-mail of the submitting user."},
        {"locale", K::String, kReq, "Locale given to submitJob."},
        {"description", K::String, kReq, "Description given to submitJob."},
        {"serverName", K::String, kReq, "Node running the run (empty while queued)."},
        {"startDate", K::DateTime, kReq, "Start of the run, or when it was queued."},
        {"triggerTime", K::DateTime, kReq, "Time the run was scheduled for."},
        {"totalSize", K::Int, kReq, "Always 0."},
        {"progress", K::Int, kReq, "Progress the job reported, 0-100."},
        {"progressMessage", K::String, kReq, "Last progress message."},
        {"lastProgressUpdate", K::DateTime, kReq, "Time of the last progress report."},
        {"trigger", K::String, kReq, "jobd: what started the run (Schedule, Execute, ...)."},
        {"", K::JobType, kOpt, "The job-type element (not filled in by jobd)."},
    }};
}

ComplexTypeSchema ScheduledJob() {
    return {"ScheduledJob", "A job and its trigger.", {
        {"companyHandle", K::String, kReq, "Company id."},
        {"jobHandle", K::String, kReq, "Job handle <company>|<jobName>|."},
        {"name", K::String, kReq, "Job name."},
        {"originalName", K::String, kReq, "Job name as submitted."},
        {"type", K::String, kReq, "Job type constant."},
        {"submitUserEmail", K::String, kReq, "E-mail of the submitting user."},
        {"locale", K::String, kReq, "Locale given to submitJob."},
        {"description", K::String, kReq, "Description given to submitJob."},
        {"execSchedule", K::String, kOpt, "The schedule, or the execTime of a one-shot job."},
        {"nextFireTime", K::DateTime, kOpt, "Next fire in the job's zone; absent if none."},
        {"timeZone", K::String, kReq, "IANA zone of the schedule."},
        {"triggerState", K::String, kReq, "Normal, Paused, Blocked, Complete or Error."},
        {"overlap", K::String, kReq, "jobd: Forbid, Allow or Queue."},
        {"misfire", K::String, kReq, "jobd: FireOnce or Skip."},
        {"", K::JobType, kOpt, "The job-type element as submitted."},
    }};
}

ComplexTypeSchema JobLog() {
    return {"JobLog", "One run of a job.", {
        {"companyHandle", K::String, kReq, "Company id."},
        {"jobHandle", K::String, kReq, "Run handle <company>|<jobName>|<runId>."},
        {"jobName", K::String, kReq, "Job name."},
        {"originalJobName", K::String, kReq, "Job name as submitted."},
        {"submitUserEmail", K::String, kReq, "E-mail of the submitting user."},
        {"logType", K::String, kReq, "BeginJob, EndJob, FatalError or JobSkipped."},
        {"jobSubType", K::String, kReq, "Always empty."},
        {"startDate", K::DateTime, kOpt, "Start of the run; absent if it never started."},
        {"endDate", K::DateTime, kOpt, "End of the run; absent while it runs."},
        {"description", K::String, kReq, "Description given to submitJob."},
        {"fileSuccessCount", K::Int, kReq, "Files the job reported as done."},
        {"fileErrorCount", K::Int, kReq, "Files the job reported as failed."},
        {"fileWarningCount", K::Int, kReq, "Files the job reported with warnings."},
        {"fileDuplicateCount", K::Int, kReq, "Duplicate files the job reported."},
        {"fileUpdateCount", K::Int, kReq, "Updated files the job reported."},
        {"totalFileCount", K::Int, kReq, "Files the job reported in all."},
        {"transferSuccessCount", K::Int, kReq, "Always 0."},
        {"transferErrorCount", K::Int, kReq, "Always 0."},
        {"transferWarningCount", K::Int, kReq, "Always 0."},
        {"fatalError", K::Boolean, kReq, "True when the run failed, timed out or was lost."},
        {"state", K::String, kReq, "jobd: Queued, Running, Succeeded, Failed, ..."},
        {"trigger", K::String, kReq, "jobd: what started the run (Schedule, Execute, ...)."},
        {"exitCode", K::Int, kOpt, "jobd: the process's exit code (128 + signal)."},
        {"reason", K::String, kReq, "jobd: why the run ended so, in the request's language."},
        {"serverName", K::String, kReq, "jobd: node that ran it."},
        {"scheduledAt", K::DateTime, kReq, "jobd: time the run was scheduled for."},
        {"durationMs", K::Long, kReq, "jobd: run time in milliseconds."},
        {"detailTotalRows", K::Int, kOpt, "getJobLogDetails: details matching the filter."},
        {"detailArray", K::TypeArray, kOpt, "getJobLogDetails: one page of details.",
         "JobLogDetail"},
    }};
}

ComplexTypeSchema JobLogDetail() {
    return {"JobLogDetail", "One line of a run's log.", {
        {"logMessage", K::String, kReq, "The message, in the request's locale for jobd's own."},
        {"logType", K::String, kReq, "Log type, e.g. Stdout, Stderr, BeginJob."},
        {"dateCreated", K::DateTime, kReq, "When the line was logged."},
        {"assetName", K::String, kOpt, "Asset the line is about."},
        {"assetType", K::String, kOpt, "Job log file type of the asset."},
        {"assetHandle", K::String, kOpt, "Handle of the asset."},
    }};
}

// ---- Complex types: job-type payloads (ips-jobs-api §4; jobd's commandJob) ----

std::vector<ComplexTypeSchema> PublishJobTypes() {
    return {
        {"ImageServingPublishJob", "Publish to image servers.", {
            {"publishType", K::String, kReq, "Full, FullWithSearch or Incremental."},
            kEmailSetting, kCompletionUrl, kContextHandle}},
        {"ImageRenderingPublishJob", "Publish to image rendering servers.",
         {kEmailSetting, kCompletionUrl, kContextHandle}},
        {"VideoPublishJob", "Publish to video servers.",
         {kEmailSetting, kCompletionUrl, kContextHandle}},
        {"ServerDirectoryPublishJob", "Publish to a server directory.",
         {kEmailSetting, kCompletionUrl}},
        {"MetadataPublishJob", "Publish metadata.",
         {{"forcePublish", K::Boolean, kOpt, "Publish all metadata, not only changes."}}},
    };
}

std::vector<ComplexTypeSchema> UploadJobTypes() {
    return {
        {"UploadDirectoryJob", "Upload files from server directories.", Concat({
            {"serverDir", K::String, kOpt, "Directory to upload from."},
            {"destFolder", K::String, kOpt, "Folder to upload to."},
            {"includeSubfolders", K::Boolean, kOpt, "Upload subfolders too."},
            {"overwrite", K::Boolean, kOpt, "Overwrite existing assets."},
            {"readyForPublish", K::Boolean, kOpt, "Mark uploads ready for publish."},
            {"createMask", K::Boolean, kOpt, "Create masks."},
            kOptionalEmailSetting,
            {"postHttpUrl", K::String, kOpt, "URL to post to after the upload."},
            {"postJobOnlyIfFiles", K::Boolean, kOpt, "Post-publish only if files came."},
            {"processMetadataFiles", K::Boolean, kOpt, "Process metadata files."},
            {"projectHandleArray", K::StringArray, kOpt, "Projects to add the assets to."},
            {"xmpKeywords", K::String, kOpt, "XMP keywords."},
        }, PostPublishFields())},
        {"UploadUrl", "One URL to upload.", {
            {"sourceUrl", K::String, kReq, "URL to fetch."},
            {"destPath", K::String, kReq, "Destination path."}}},
        {"UploadUrlsJob", "Upload from URLs.", Concat({
            {"urlArray", K::TypeArray, kReq, "URLs to upload.", "UploadUrl"},
            {"numUrls", K::Int, kOpt, "Number of URLs."},
            {"overwrite", K::Boolean, kOpt, "Overwrite existing assets."},
            {"readyForPublish", K::Boolean, kOpt, "Mark uploads ready for publish."},
            kOptionalEmailSetting,
        }, PostPublishFields())},
        {"UploadPostJob", "An HTTP POST upload (reported by getActiveJobs).", {
            {"overwrite", K::Boolean, kReq, "Overwrite existing assets."},
            {"readyForPublish", K::Boolean, kReq, "Mark uploads ready for publish."},
            {"preservePublishState", K::Boolean, kReq, "Keep the publish state."},
            {"createMask", K::Boolean, kReq, "Create masks."},
            kEmailSetting}},
    };
}

std::vector<ComplexTypeSchema> AssetJobTypes() {
    return {
        {"OptimizeImagesJob", "Optimize remaining files.", {kEmailSetting}},
        {"RipPdfsJob", "Re-rip PDFs (deprecated in IPS).", Concat(Concat({
            {"pdfHandleArray", K::StringArray, kOpt, "PDFs to rip."},
            {"pdfOptions", K::Any, kOpt, "IPS PDF options."},
            kOptionalEmailSetting,
        }, CropFields()), PostPublishFields())},
        {"ReprocessAssetsJob", "Reprocess primary files.", Concat(Concat({
            {"assetHandleArray", K::StringArray, kOpt, "Assets to reprocess."},
            {"readyForPublish", K::Boolean, kOpt, "Mark assets ready for publish."},
            {"preservePublishState", K::Boolean, kOpt, "Keep the publish state."},
            {"preserveCrop", K::Boolean, kOpt, "Keep the crop."},
            kOptionalEmailSetting,
            {"postJobOnlyIfFiles", K::Boolean, kOpt, "Post-publish only if files changed."},
        }, CropFields()), PostPublishFields())},
        {"CreateVideoSitemapJob", "Create a video sitemap.",
         {{"forceUpdate", K::Boolean, kOpt, "Rebuild even if nothing changed."}}},
        {"ExportJob", "Export uploaded files.", {
            {"assetHandleArray", K::StringArray, kReq, "Assets to export."},
            {"fmt", K::String, kReq, "orig or convert."},
            {"is_modifier", K::String, kOpt, "Image serving modifiers for convert."},
            {"macro", K::String, kOpt, "Image serving macro for convert."},
            kEmailSetting,
            {"clientId", K::String, kOpt, "Reserved."}}},
        {"AutomatedSetGenerationJob", "Build sets from a list of assets.", {
            {"assetHandleArray", K::StringArray, kReq, "Assets (at most 1000)."},
            {"destFolder", K::String, kOpt, "Folder of the sets; default the company root."},
            {"readyForPublish", K::Boolean, kReq, "Mark sets ready for publish."},
            {"synchronizationComplete", K::Boolean, kOpt, "IPS internal."},
            {"autoSetCreationOptions", K::Any, kReq, "IPS set creation options."},
            kEmailSetting}},
        {"CommandJob", "jobd: run a program (IpsAdmin and IpsCompanyAdmin only).", {
            {"argv", K::StringArray, kReq, "Program and arguments; no shell is involved."},
            {"env", K::StringMap, kOpt, "Extra environment variables, name to value."},
            {"workingDir", K::String, kOpt, "Working directory of the process."},
            {"timeoutSeconds", K::Int, kOpt, "Stop the process after this many seconds."}}},
    };
}

std::vector<ComplexTypeSchema> BuildComplexTypes() {
    std::vector<ComplexTypeSchema> types{ActiveJob(), ScheduledJob(), JobLog(), JobLogDetail()};
    for (auto&& group : {PublishJobTypes(), UploadJobTypes(), AssetJobTypes()}) {
        types.insert(types.end(), group.begin(), group.end());
    }
    return types;
}

}  // namespace

const std::vector<OperationSchema>& OperationSchemas() {
    static const std::vector<OperationSchema> operations = BuildOperations();
    return operations;
}

const std::vector<ComplexTypeSchema>& ComplexTypes() {
    static const std::vector<ComplexTypeSchema> types = BuildComplexTypes();
    return types;
}

const std::vector<JobTypeElement>& JobTypeElements() {
    static const std::vector<JobTypeElement> elements{
        {"imageServingPublishJob", "ImageServingPublishJob"},
        {"imageRenderingPublishJob", "ImageRenderingPublishJob"},
        {"videoPublishJob", "VideoPublishJob"},
        {"serverDirectoryPublishJob", "ServerDirectoryPublishJob"},
        {"metadataPublishJob", "MetadataPublishJob"},
        {"uploadDirectoryJob", "UploadDirectoryJob"},
        {"uploadUrlsJob", "UploadUrlsJob"},
        {"uploadPostJob", "UploadPostJob"},
        {"optimizeImagesJob", "OptimizeImagesJob"},
        {"ripPdfsJob", "RipPdfsJob"},
        {"reprocessAssetsJob", "ReprocessAssetsJob"},
        {"createVideoSitemapJob", "CreateVideoSitemapJob"},
        {"exportJob", "ExportJob"},
        {"automatedSetGenerationJob", "AutomatedSetGenerationJob"},
        {"commandJob", "CommandJob"},
    };
    return elements;
}

const OperationSchema* FindOperationSchema(std::string_view name) {
    const auto& operations = OperationSchemas();
    const auto found = std::find_if(operations.begin(), operations.end(),
                                    [name](const OperationSchema& op) { return op.name == name; });
    return found == operations.end() ? nullptr : &*found;
}

const ComplexTypeSchema* FindComplexType(std::string_view name) {
    const auto& types = ComplexTypes();
    const auto found = std::find_if(types.begin(), types.end(),
                                    [name](const ComplexTypeSchema& t) { return t.name == name; });
    return found == types.end() ? nullptr : &*found;
}

}  // namespace jobd::api
