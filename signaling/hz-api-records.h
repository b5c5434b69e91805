/*
 * hz-api-records: the REST routes of consult records, the consult workflow
 * and the audit log (docs/openapi.yaml):
 *   GET /api/v1/consults, GET /api/v1/consults/{id},
 *   POST /api/v1/consults (request), POST /api/v1/consults/{id}/accept,
 *   POST /api/v1/consults/{id}/consent, GET /api/v1/audit.
 * Every read of a record and of the audit log is itself audited.
 * Registered by hz_api_records_register() (declared in hz-api-rooms.h).
 */
#pragma once

#include "hz-api-rooms.h"
