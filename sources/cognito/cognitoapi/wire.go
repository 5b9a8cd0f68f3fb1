package cognitoapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Cognito error codes (the "__type" of an error answer; botocore's cognito-idp service model
// lists them per operation).
const (
	CodeNotAuthorized         = "NotAuthorizedException"
	CodeUserNotFound          = "UserNotFoundException"
	CodeUserNotConfirmed      = "UserNotConfirmedException"
	CodePasswordResetRequired = "PasswordResetRequiredException"
	CodeTooManyRequests       = "TooManyRequestsException"
	CodeInternalError         = "InternalErrorException"
	CodeInvalidParameter      = "InvalidParameterException"
	CodeResourceNotFound      = "ResourceNotFoundException"
	CodeUserLambdaValidation  = "UserLambdaValidationException"
)

// throttleCodes are the error codes of a throttled call, retried whatever their HTTP status (the
// AWS SDK's own list of throttle codes includes them; Cognito's model does not say which status
// TooManyRequestsException comes with).
var throttleCodes = map[string]bool{CodeTooManyRequests: true, "ThrottlingException": true, "Throttling": true,
	"RequestLimitExceeded": true, "RequestThrottled": true, "RequestThrottledException": true, "SlowDown": true}

// ErrorCode returns the Cognito error code err carries ("" when it carries none: a network
// error, an unreadable answer).
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// ErrorMessage returns the message of the Cognito error err carries ("" when none).
func ErrorMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// Retryable reports whether a failed call may succeed when sent again: throttling, a server error
// (InternalErrorException, HTTP 5xx or 429), a request that could not be sent or whose answer was
// cut short. An answer over the body limit and every other Cognito error (a wrong password, an
// unknown user, a bad parameter, a refused signature) are final.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, ErrBodyTooLarge) {
		return false
	}
	code := ErrorCode(err)
	if throttleCodes[code] || code == CodeInternalError {
		return true
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		if s := re.HTTPStatusCode(); s >= 500 || s == 429 {
			return true
		}
	}
	if code != "" {
		return false
	}
	var se *smithyhttp.RequestSendError
	var de *smithy.DeserializationError
	return errors.As(err, &se) || errors.As(err, &de)
}

// Describe is a short text for err in logs: Cognito's code and message, or the error.
func Describe(err error) string {
	if code := ErrorCode(err); code != "" {
		if msg := ErrorMessage(err); msg != "" {
			return code + " (" + msg + ")"
		}
		return code
	}
	return err.Error()
}

// wireUser is a ListUsers user as the API sends it (botocore's UserType, awsJson1_1: timestamps in
// epoch seconds), in the API's key order.
type wireUser struct {
	Username             *string     `json:"Username,omitempty"`
	Attributes           []wireAttr  `json:"Attributes"`
	UserCreateDate       *epoch      `json:"UserCreateDate,omitempty"`
	UserLastModifiedDate *epoch      `json:"UserLastModifiedDate,omitempty"`
	Enabled              bool        `json:"Enabled"`
	UserStatus           string      `json:"UserStatus,omitempty"`
	MFAOptions           []wireMFAOp `json:"MFAOptions,omitempty"`
}

type wireAttr struct {
	Name  *string `json:"Name"`
	Value *string `json:"Value,omitempty"`
}

type wireMFAOp struct {
	DeliveryMedium string  `json:"DeliveryMedium,omitempty"`
	AttributeName  *string `json:"AttributeName,omitempty"`
}

// epoch is a timestamp written as epoch seconds with its milliseconds (1682955829.578), as the
// awsJson1_1 protocol writes UserType's dates.
type epoch time.Time

// MarshalJSON implements json.Marshaler.
func (e *epoch) MarshalJSON() ([]byte, error) {
	return []byte(EpochSeconds(time.Time(*e))), nil
}

// EpochSeconds writes t as the awsJson1_1 protocol writes a timestamp: seconds since 1970, with
// the milliseconds as a fraction when there are any ("1682955829.578", "1500000000").
func EpochSeconds(t time.Time) string {
	ms := t.UnixMilli()
	sec, frac := ms/1000, ms%1000
	if frac < 0 {
		sec, frac = sec-1, frac+1000
	}
	if frac == 0 {
		return strconv.FormatInt(sec, 10)
	}
	return strings.TrimRight(fmt.Sprintf("%d.%03d", sec, frac), "0")
}

// EncodeUser writes a user as the ListUsers answer holds it ({"Username","Attributes":
// [{"Name","Value"}],"UserCreateDate","UserLastModifiedDate","Enabled","UserStatus",
// "MFAOptions"}, epoch-second timestamps), the shape the cognito source reads from files.
func EncodeUser(u types.UserType) []byte {
	w := wireUser{Username: u.Username, Attributes: make([]wireAttr, 0, len(u.Attributes)), Enabled: u.Enabled,
		UserStatus: string(u.UserStatus)}
	for _, a := range u.Attributes {
		w.Attributes = append(w.Attributes, wireAttr{Name: a.Name, Value: a.Value})
	}
	if u.UserCreateDate != nil {
		e := epoch(*u.UserCreateDate)
		w.UserCreateDate = &e
	}
	if u.UserLastModifiedDate != nil {
		e := epoch(*u.UserLastModifiedDate)
		w.UserLastModifiedDate = &e
	}
	for _, m := range u.MFAOptions {
		w.MFAOptions = append(w.MFAOptions, wireMFAOp{DeliveryMedium: string(m.DeliveryMedium), AttributeName: m.AttributeName})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		panic("cognitoapi: encoding a user: " + err.Error()) // strings, booleans and numbers only
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
