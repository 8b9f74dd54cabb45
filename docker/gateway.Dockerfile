# cxledger/gateway: cxl-gateway, the REST API in front of the network (see gateway/), and
# the health probe. FROM scratch: two static binaries. `cxl gateway up` on a Docker network
# writes its configuration into $CXL_HOME/gateway, mounted at /var/lib/cxl-gateway with the
# store, and runs it as the owner of the state directory (the client keys it signs with are
# readable by their owner only).
FROM scratch
LABEL org.opencontainers.image.title="cxledger gateway" \
      org.opencontainers.image.description="the cxledger gateway service: typed REST API over the Fabric Gateway"
ENV PATH=/usr/local/bin \
    CXL_GATEWAY_CONFIG=/var/lib/cxl-gateway/gateway.yaml
COPY cxl-gateway cxl-healthcheck /usr/local/bin/
COPY --chown=10001:0 empty /var/lib/cxl-gateway
USER 10001
EXPOSE 8080
CMD ["cxl-gateway"]
