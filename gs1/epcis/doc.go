// Package epcis reads GS1 EPCIS 2.0 documents in their JSON / JSON-LD binding and names each
// event by its CBV 2.0 event hash. It has no Fabric dependency: the gateway service validates
// a capture with it before submitting, and the chaincode validates and hashes every event
// again with the same code before it records anything.
//
// [ParseDocument] reads an EPCISDocument or EPCISQueryDocument strictly, as GS1's JSON Schema
// for EPCIS 2.0 does: the five event types (ObjectEvent, AggregationEvent,
// TransformationEvent, TransactionEvent, AssociationEvent) with the fields each requires,
// action ADD / OBSERVE / DELETE, eventTime with its offset and eventTimeZoneOffset, the CBV
// vocabularies (bare words, CBV web URIs and the older URNs), identifiers as EPC URNs or GS1
// Digital Link URIs (read by package gs1), quantities, business transactions, sources and
// destinations, sensor data, error declarations, and no field the standard does not define
// unless it is a JSON-LD extension whose prefix the document's @context declares.
//
// [Event.Hash] is the event's CBV 2.0 event hash, "ni:///sha-256;<hex>?ver=CBV2.0": the
// pre-hash string of the canonical property order (CBV 2.0 section 8.9, as GS1's reference
// implementation computes it), hashed with SHA-256. Identifiers are written as constrained
// canonical Digital Link URIs on https://id.gs1.org, vocabulary as CBV web URIs, times in UTC
// with milliseconds, numbers without trailing zeros; recordTime, eventID and
// errorDeclaration take no part, so an error declaration carries the hash of the event it
// declares erroneous.
//
// Every refusal is a *cxlerr.Error: INVALID for a document or event that breaks the
// standard, TOO_LARGE for one over the limits. The message names the event (by its index)
// and the field.
package epcis
