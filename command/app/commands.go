package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// Deps are what the commands run on.
type Deps struct {
	Store       *eventstore.Store
	JS          jetstream.JetStream
	Replicas    int
	Hasher      *auth.Hasher // nil in processes that check no password (tasks)
	Tokens      *auth.Tokens
	Policy      *policy.Holder
	Revocations *auth.Revocations
	ResetKey    auth.MACer // the personal data vault: makes password reset tokens
	Now         func() time.Time
	// Projections tells the projections a rebuild may be asked for.
	Projections func(name string) bool
	// NATS carries the answers to the dead letter requests.
	NATS *nats.Conn
	// Propagation is waited on by the changes that can make bot calls
	// fail (see propagated); nil waits for nothing.
	Propagation Propagation
	Metrics     *Metrics     // nil counts nothing
	Logger      *slog.Logger // nil logs to the default logger
}

// Commands are the process's command handlers, each wrapped in the same
// decorators: the caller's actor, metrics and logging.
type Commands struct {
	Signup               Handler[SignupInput, SignupResult]
	Login                Handler[LoginCmd, TokenPair]
	Refresh              Handler[RefreshCmd, TokenPair]
	Logout               Handler[LogoutCmd, uint64]
	ChangePassword       Handler[ChangePasswordCmd, uint64]
	UpdateProfile        Handler[UpdateProfileCmd, UserAt]
	RequestPasswordReset Handler[ResetRequestCmd, eventstore.Nothing]
	ResetPassword        Handler[ResetPasswordCmd, uint64]
	ExpireLock           Handler[ExpireLockCmd, eventstore.Nothing]

	CreateUser Handler[CreateUserInput, CreatedUser]
	PatchUser  Handler[UserPatch, UserAt]
	DeleteUser Handler[DeleteUserCmd, uint64]
	UnlockUser Handler[UnlockUserCmd, uint64]

	PatchCompany     Handler[CompanyPatch, CompanyAt]
	RenameCompany    Handler[RenameCompanyCmd, CompanyAt]
	AddMember        Handler[AddMemberCmd, CreatedUser]
	ChangeMemberRole Handler[MemberRoleCmd, UserAt]
	RemoveMember     Handler[MemberCmd, uint64]

	CreateChatbot    Handler[CreateChatbotCmd, ChatbotAt]
	UpdateChatbot    Handler[UpdateChatbotCmd, ChatbotAt]
	DeleteChatbot    Handler[ChatbotCmd, uint64]
	SetChatbotLimits Handler[SetChatbotLimitsCmd, ChatbotAt]
	IssueAPIKey      Handler[IssueAPIKeyCmd, IssuedKey]
	RevokeAPIKey     Handler[RevokeAPIKeyCmd, uint64]
	SetAPIKeyLimits  Handler[SetAPIKeyLimitsCmd, KeyAt]

	Configure         Handler[ConfigureCmd, ConfigAt]
	RequestRebuild    Handler[RebuildCmd, uint64]
	RetryDeadLetter   Handler[string, RetryResult]
	DiscardDeadLetter Handler[string, uint64]

	// Eraser finishes the erasure of deleted users (its task).
	Eraser Eraser
	// CountRefusedLogin counts a login refused before an account decided
	// on it (the per-address rate); the store counts the others from the
	// events appended.
	CountRefusedLogin func(result string)
}

// New opens the credentials bucket and builds the commands.
func New(ctx context.Context, d Deps) (*Commands, error) {
	creds, err := OpenCredentials(ctx, d.JS, d.Replicas)
	if err != nil {
		return nil, err
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Projections == nil {
		d.Projections = func(string) bool { return false }
	}
	w := wiring{Deps: d, creds: creds, arounds: []Around{Actor, d.Metrics.Around, Logging(d.Logger)}}
	c := &Commands{Eraser: Eraser{Store: d.Store, Creds: creds}, CountRefusedLogin: d.Store.Metrics().CountLogin}
	w.identity(c)
	w.administration(c)
	w.companies(c)
	w.chatbots(c)
	return c, nil
}

// wiring builds the handlers from what they share.
type wiring struct {
	Deps
	creds   *Credentials
	arounds []Around
}

func (w wiring) sessions() Sessions { return Sessions{Tokens: w.Tokens, Policy: w.Policy, Now: w.Now} }

func (w wiring) registrar() Registrar {
	return Registrar{Store: w.Store, Creds: w.creds, Hasher: w.Hasher, Policy: w.Policy}
}

func (w wiring) managers() Managers { return Managers{Store: w.Store, Revoked: w.Revocations} }

func (w wiring) identity(c *Commands) {
	unlocks := UnlockTimers{JS: w.JS}
	c.Signup = Decorate("signup", Handler[SignupInput, SignupResult](Signup{Registrar: w.registrar(), Policy: w.Policy}), w.arounds...)
	c.Login = Decorate("login", Handler[LoginCmd, TokenPair](Login{Store: w.Store, Creds: w.creds, Hasher: w.Hasher, Policy: w.Policy,
		Sessions: w.sessions(), Unlocks: unlocks, Now: w.Now}), w.arounds...)
	c.Refresh = Decorate("refresh", Handler[RefreshCmd, TokenPair](Refresh{Store: w.Store, Sessions: w.sessions(), Revoked: w.Revocations}), w.arounds...)
	c.Logout = Decorate("logout", Handler[LogoutCmd, uint64](Logout{Store: w.Store, Revoked: w.Revocations, Now: w.Now}), w.arounds...)
	c.ChangePassword = Decorate("change_password", Handler[ChangePasswordCmd, uint64](ChangePassword{Store: w.Store, Creds: w.creds,
		Hasher: w.Hasher, Policy: w.Policy, Unlocks: unlocks, Revoked: w.Revocations, Now: w.Now}), w.arounds...)
	c.UpdateProfile = Decorate("update_profile", Handler[UpdateProfileCmd, UserAt](UpdateProfile{Store: w.Store}), w.arounds...)
	c.RequestPasswordReset = Decorate("request_password_reset", Handler[ResetRequestCmd, eventstore.Nothing](RequestPasswordReset{
		Store: w.Store, ResetKey: w.ResetKey, Policy: w.Policy, Now: w.Now}), w.arounds...)
	c.ResetPassword = Decorate("reset_password", Handler[ResetPasswordCmd, uint64](ResetPassword{Store: w.Store, Creds: w.creds,
		Hasher: w.Hasher, Policy: w.Policy, Revoked: w.Revocations, Now: w.Now}), w.arounds...)
	c.ExpireLock = Decorate("expire_lock", Handler[ExpireLockCmd, eventstore.Nothing](ExpireLock{Store: w.Store, Now: w.Now}), w.arounds...)
}

func (w wiring) administration(c *Commands) {
	admins := Admins{Store: w.Store}
	c.CreateUser = Decorate("create_user", Handler[CreateUserInput, CreatedUser](CreateUser{Registrar: w.registrar()}), w.arounds...)
	c.PatchUser = Decorate("patch_user", Handler[UserPatch, UserAt](PatchUser{Store: w.Store, Admins: admins, Managers: w.managers(),
		Revoked: w.Revocations}), w.arounds...)
	c.DeleteUser = Decorate("delete_user", Handler[DeleteUserCmd, uint64](DeleteUser{Store: w.Store, Admins: admins, Managers: w.managers(),
		Eraser: c.Eraser, Revoked: w.Revocations}), w.arounds...)
	c.UnlockUser = Decorate("unlock_user", Handler[UnlockUserCmd, uint64](UnlockUser{Store: w.Store, Now: w.Now}), w.arounds...)
	c.PatchCompany = Decorate("patch_company", Handler[CompanyPatch, CompanyAt](PatchCompany{Store: w.Store, Revoked: w.Revocations, Propagation: w.Propagation}), w.arounds...)
	c.Configure = Decorate("configure", Handler[ConfigureCmd, ConfigAt](Configure{Store: w.Store, Policy: w.Policy}), w.arounds...)
	c.RequestRebuild = Decorate("request_rebuild", Handler[RebuildCmd, uint64](RequestRebuild{Store: w.Store, Known: w.Projections}), w.arounds...)
	requests := DeadLetterRequests{Store: w.Store, NATS: w.NATS}
	c.RetryDeadLetter = Decorate("retry_dead_letter", Handler[string, RetryResult](RetryDeadLetter{requests}), w.arounds...)
	c.DiscardDeadLetter = Decorate("discard_dead_letter", Handler[string, uint64](DiscardDeadLetter{requests}), w.arounds...)
}

// companies builds a company's own commands; they reuse the
// administration's handlers undecorated, so each command counts once.
func (w wiring) companies(c *Commands) {
	create := CreateUser{Registrar: w.registrar()}
	patch := PatchUser{Store: w.Store, Admins: Admins{Store: w.Store}, Managers: w.managers(), Revoked: w.Revocations}
	del := DeleteUser{Store: w.Store, Admins: Admins{Store: w.Store}, Managers: w.managers(), Eraser: c.Eraser, Revoked: w.Revocations}
	c.RenameCompany = Decorate("rename_company", Handler[RenameCompanyCmd, CompanyAt](RenameCompany{Store: w.Store}), w.arounds...)
	c.AddMember = Decorate("add_member", Handler[AddMemberCmd, CreatedUser](AddMember{Create: create}), w.arounds...)
	c.ChangeMemberRole = Decorate("change_member_role", Handler[MemberRoleCmd, UserAt](ChangeMemberRole{Store: w.Store, Patch: patch}), w.arounds...)
	c.RemoveMember = Decorate("remove_member", Handler[MemberCmd, uint64](RemoveMember{Store: w.Store, Managers: w.managers(), Delete: del}), w.arounds...)
}

func (w wiring) chatbots(c *Commands) {
	c.CreateChatbot = Decorate("create_chatbot", Handler[CreateChatbotCmd, ChatbotAt](CreateChatbot{Store: w.Store}), w.arounds...)
	c.UpdateChatbot = Decorate("update_chatbot", Handler[UpdateChatbotCmd, ChatbotAt](UpdateChatbot{Store: w.Store, Propagation: w.Propagation}), w.arounds...)
	c.DeleteChatbot = Decorate("delete_chatbot", Handler[ChatbotCmd, uint64](DeleteChatbot{Store: w.Store, Propagation: w.Propagation}), w.arounds...)
	c.SetChatbotLimits = Decorate("set_chatbot_limits", Handler[SetChatbotLimitsCmd, ChatbotAt](SetChatbotLimits{Store: w.Store, Propagation: w.Propagation}), w.arounds...)
	c.IssueAPIKey = Decorate("issue_api_key", Handler[IssueAPIKeyCmd, IssuedKey](IssueAPIKey{Store: w.Store, Propagation: w.Propagation, Now: w.Now}), w.arounds...)
	c.SetAPIKeyLimits = Decorate("set_api_key_limits", Handler[SetAPIKeyLimitsCmd, KeyAt](SetAPIKeyLimits{Store: w.Store, Propagation: w.Propagation}), w.arounds...)
	c.RevokeAPIKey = Decorate("revoke_api_key", Handler[RevokeAPIKeyCmd, uint64](RevokeAPIKey{Store: w.Store, Propagation: w.Propagation}), w.arounds...)
}
