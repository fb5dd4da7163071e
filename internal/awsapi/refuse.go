package awsapi

import (
	"net/http"
	"time"
)

// Refuse answers r with e in the shape of the service its X-Amz-Target
// names (the service's __type namespace, status and Content-Type, a request
// id, Config.Observe told), without reading the body or running an
// operation. The server answers requests on connections past its cap this
// way (ThrottlingException, which SDKs retry with back-off). h must come from
// NewHandler.
func Refuse(h http.Handler, w http.ResponseWriter, r *http.Request, e *Error) {
	hh := h.(*handler)
	ex := exchange{h: hh, w: w, r: r, start: time.Now(), id: newRequestID(), svc: noService}
	w.Header()["X-Amzn-Requestid"] = []string{ex.id}
	ex.target = r.Header.Get("X-Amz-Target")
	if rt := hh.routes[ex.target]; rt != nil {
		ex.svc, ex.op = rt.svc, rt.name
	} else if prefix, _, ok := cutLast(ex.target, '.'); ok && hh.prefixes[prefix] != nil {
		ex.svc = hh.prefixes[prefix]
	}
	ex.fail(0, e)
}
