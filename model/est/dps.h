/* Helpers for onboarding with Azure IoT Hub Device Provisioning Service:
 * the proof-of-possession certificate DPS asks a CA's owner for, and the
 * config.toml an IoT Edge device needs to enroll over EST. */
#ifndef EDGECA_MODEL_DPS_H
#define EDGECA_MODEL_DPS_H

#include "model/auth/principal.h"
#include "model/cert/certificate.h"
#include "model/core/context.h"

/* A certificate with CN = code signed by the key of the CA's location
 * (NULL: the first active one), valid for one day: DPS's verification
 * certificate. Its own key is made here and thrown away; the certificate
 * is stored and audited like any other. */
edgeca_err dps_verification_certificate(struct edgeca_ctx *ctx, const struct principal *who,
                                        const char *ca_id, const char *code,
                                        const char *location, struct certificate **out,
                                        struct edgeca_msg *msg);

struct dps_config_req {
	const char *ca_id;
	const char *registration_id;
	const char *id_scope;
	const char *location; /* NULL: the first active one */
};

/* /etc/aziot/config.toml for a device that enrolls with the CA's EST
 * service (malloc'ed text). */
edgeca_err dps_iotedge_config(struct edgeca_ctx *ctx, const struct dps_config_req *req,
                              char **out, struct edgeca_msg *msg);

#endif
