// MPI hands out its handles as C macros, which Swift cannot import. Each becomes a static inline
// function here (architecture §1.1). Nothing else lives in this module.
#ifndef MTAF_CMPI_SHIM_H
#define MTAF_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm mtaf_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm mtaf_comm_self(void) { return MPI_COMM_SELF; }
static inline MPI_Comm mtaf_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Request mtaf_request_null(void) { return MPI_REQUEST_NULL; }
static inline void *mtaf_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler mtaf_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Status *mtaf_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *mtaf_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }

static inline MPI_Datatype mtaf_type_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype mtaf_type_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype mtaf_type_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype mtaf_type_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype mtaf_type_uint8(void) { return MPI_UINT8_T; }

static inline MPI_Op mtaf_op_sum(void) { return MPI_SUM; }
static inline MPI_Op mtaf_op_max(void) { return MPI_MAX; }
static inline MPI_Op mtaf_op_min(void) { return MPI_MIN; }

static inline int mtaf_undefined(void) { return MPI_UNDEFINED; }
static inline int mtaf_any_source(void) { return MPI_ANY_SOURCE; }
static inline int mtaf_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
#endif
