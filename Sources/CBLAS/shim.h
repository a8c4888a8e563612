// OpenBLAS's CBLAS interface and its thread control. Only MTAFNet's Ops/BLAS.swift imports it.
#ifndef MTAF_CBLAS_SHIM_H
#define MTAF_CBLAS_SHIM_H
#include <cblas.h>
#endif
