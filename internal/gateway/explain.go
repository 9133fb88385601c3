package gateway

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
)

// maxExplainFrames bounds one explainer request.
const maxExplainFrames = 1000

type explainInput struct {
	Body struct {
		Frames []string `json:"frames" minItems:"1" maxItems:"1000" doc:"JT/T 808 frames in hex, with or without the 0x7E flags; spaces are ignored"`
	}
}

type explainOutput struct {
	Body struct {
		Frames []jt808.Explanation `json:"frames" doc:"One explanation per frame, in order; a frame that does not decode has an error field"`
	}
}

// RegisterExplainer adds the packet explainer (报文解释器) to the API: field
// engineers paste frames captured from a terminal and read them decoded.
// Any logged-in user may use it; it touches no data.
func RegisterExplainer(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "explain-jt808-frames", Method: http.MethodPost, Path: "/jt808/decode",
		Summary: "Explain JT/T 808 frames (报文解释器)", Tags: []string{"jt808"},
		Description: "Decodes each hex frame into named fields: version, message id, terminal phone, serial, " +
			"subpackage, check code and body; for positions, signed decimal degrees, km/h, ISO 8601 time (+08:00), " +
			"named alarm and status bits and additional items with units.",
		MaxBodyBytes: 4 << 20,
	}, func(ctx context.Context, in *explainInput) (*explainOutput, error) {
		if access.From(ctx) == nil {
			return nil, apperr.ErrUnauthorized
		}
		out := &explainOutput{}
		out.Body.Frames = make([]jt808.Explanation, 0, min(len(in.Body.Frames), maxExplainFrames))
		for _, f := range in.Body.Frames {
			out.Body.Frames = append(out.Body.Frames, jt808.ExplainHex(f))
		}
		return out, nil
	})
}
