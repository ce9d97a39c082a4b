// error.cpp - the C++/PostgreSQL error bridge. See include/pgstreamx/error.hpp.
#include "pgstreamx/error.hpp"

#include "pgstreamx/shmem.hpp"

namespace pgstreamx {

// ---- PgError --------------------------------------------------------------

struct PgError::Holder {
    ErrorData *edata;
    explicit Holder(ErrorData *e) : edata(e) {}
    Holder(const Holder &) = delete;
    Holder &operator=(const Holder &) = delete;
    // FreeErrorData only pfree()s, which does not raise.
    ~Holder() {
        if (edata) FreeErrorData(edata);
    }
};

PgError::PgError(ErrorData *edata) {
    try {
        holder_ = std::make_shared<Holder>(edata);
    } catch (...) {
        FreeErrorData(edata);
        throw;
    }
}

const char *PgError::what() const noexcept {
    return holder_->edata && holder_->edata->message ? holder_->edata->message
                                                     : "postgresql error";
}

int PgError::sqlerrcode() const noexcept {
    return holder_->edata ? holder_->edata->sqlerrcode : ERRCODE_INTERNAL_ERROR;
}

ErrorData *PgError::release() const noexcept {
    ErrorData *e = holder_->edata;
    holder_->edata = nullptr;
    return e;
}

namespace detail {

namespace {

void copy_text(char *dst, std::size_t cap, const char *src) noexcept {
    if (!src) {
        dst[0] = '\0';
        return;
    }
    std::size_t n = std::strlen(src);
    if (n >= cap) {
        // Cut at a UTF-8 character boundary so that the message stays valid.
        n = cap - 1;
        while (n > 0 && (static_cast<unsigned char>(src[n]) & 0xC0) == 0x80) --n;
    }
    std::memcpy(dst, src, n);
    dst[n] = '\0';
}

void set_pending(PendingError &out, int code, const char *message, const char *detail,
                 const char *hint) noexcept {
    out.edata = nullptr;
    out.sqlerrcode = code;
    copy_text(out.message, sizeof out.message, message);
    copy_text(out.detail, sizeof out.detail, detail);
    copy_text(out.hint, sizeof out.hint, hint);
}

int to_sqlerrcode(const SqlState &s) noexcept {
    return MAKE_SQLSTATE(s.code[0], s.code[1], s.code[2], s.code[3], s.code[4]);
}

}  // namespace

void capture_current_exception(PendingError &out) noexcept {
    // Rethrow inside this function's own try block to dispatch on the type.
    // Called from inside a catch(...) handler, so `throw;` is well-defined.
    try {
        throw;
    } catch (const PgError &e) {
        set_pending(out, e.sqlerrcode(), e.what(), nullptr, nullptr);
        out.edata = e.release();
    } catch (const Error &e) {
        set_pending(out, to_sqlerrcode(e.sqlstate()), e.message().c_str(), e.detail().c_str(),
                    e.hint().c_str());
    } catch (const std::bad_alloc &) {
        set_pending(out, ERRCODE_OUT_OF_MEMORY, "out of memory",
                    "A C++ allocation in pgstreamx failed.", nullptr);
    } catch (const std::exception &e) {
        set_pending(out, ERRCODE_INTERNAL_ERROR, e.what(),
                    "An unexpected C++ exception reached a pgstreamx entry point.",
                    "This is a bug in pgstreamx; please report it with the statement that "
                    "caused it.");
    } catch (...) {
        set_pending(out, ERRCODE_INTERNAL_ERROR, "unknown C++ exception in pgstreamx",
                    "An exception of unknown type reached a pgstreamx entry point.",
                    "This is a bug in pgstreamx; please report it with the statement that "
                    "caused it.");
    }
}

void raise(const PendingError &err) {
    if (err.edata) ReThrowError(err.edata);  // keeps SQLSTATE, message, detail, hint
    ereport(ERROR, (errcode(err.sqlerrcode), errmsg_internal("%s", err.message),
                    err.detail[0] ? errdetail_internal("%s", err.detail) : 0,
                    err.hint[0] ? errhint("%s", err.hint) : 0));
    pg_unreachable();
}

ErrorData *run_guarded(void (*fn)(void *), void *arg, MemoryContext cxt) noexcept {
    ErrorData *volatile edata = nullptr;
    PG_TRY();
    {
        fn(arg);
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(cxt);
        edata = CopyErrorData();
        FlushErrorState();
    }
    PG_END_TRY();
    return edata;
}

}  // namespace detail

void require_preloaded(const char *what) {
    if (shmem::attached()) return;
    throw Error(sqlstate::object_not_in_prerequisite_state,
                std::string(what) + " requires pgstreamx to be loaded at server start",
                "pgstreamx is not in shared_preload_libraries, so its shared memory does not "
                "exist.",
                "Add pgstreamx to shared_preload_libraries in postgresql.conf and restart the "
                "server.");
}

}  // namespace pgstreamx
