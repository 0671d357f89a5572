#ifndef TRACKINGPROXY_CLIBPQ_SHIM_H
#define TRACKINGPROXY_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
