package web

// messages holds the interface's words in Vietnamese and English. Messages
// that come from the services (errors, validation) are in Vietnamese only.
var messages = map[string][2]string{
	"site.name":            {"Cổng số", "Cổng số"},
	"site.tagline":         {"Nền tảng chính quyền số của tỉnh", "The province's digital-government platform"},
	"nav.home":             {"Trang chủ", "Home"},
	"nav.login":            {"Đăng nhập", "Sign in"},
	"nav.logout":           {"Đăng xuất", "Sign out"},
	"nav.account":          {"Tài khoản", "Account"},
	"nav.agencies":         {"Cơ quan", "Agencies"},
	"nav.users":            {"Tài khoản người dùng", "Users"},
	"nav.units":            {"Đơn vị hành chính", "Administrative units"},
	"nav.audit":            {"Nhật ký", "Audit log"},
	"nav.skip":             {"Bỏ qua, đến nội dung chính", "Skip to main content"},
	"nav.main":             {"Điều hướng chính", "Main navigation"},
	"lang.switch":          {"English", "Tiếng Việt"},
	"home.welcome":         {"Chào mừng đến Cổng số", "Welcome to Cổng số"},
	"home.intro":           {"Cổng số là nền tảng chính quyền số mã nguồn mở của tỉnh: tiếp nhận và giải quyết thủ tục hành chính một cửa, kênh dịch vụ công cho người dân và doanh nghiệp, trung tâm điều hành và nền tảng tích hợp, chia sẻ dữ liệu.", "Cổng số is the province's open-source digital-government platform: one-stop processing of administrative procedures, the citizen channel, the operations centre and the integration and data-sharing platform."},
	"home.citizen":         {"Người dân, doanh nghiệp", "Citizens and businesses"},
	"home.citizen.text":    {"Đăng nhập bằng số định danh cá nhân hoặc mã số doanh nghiệp để theo dõi hồ sơ và quản lý tài khoản.", "Sign in with your citizen ID number or enterprise code to follow your dossiers and manage your account."},
	"home.official":        {"Cán bộ, công chức", "Officials"},
	"home.official.text":   {"Đăng nhập để tiếp nhận, xử lý hồ sơ và quản trị hệ thống theo vai trò được giao.", "Sign in to receive and process dossiers and administer the system according to your roles."},
	"home.you":             {"Xin chào", "Hello"},
	"home.roles":           {"Vai trò của bạn", "Your roles"},
	"home.noroles":         {"Tài khoản chưa được giao vai trò nào. Liên hệ quản trị cơ quan.", "Your account has no roles yet. Contact your agency's administrator."},
	"home.go":              {"Việc bạn có thể làm", "What you can do"},
	"login.title":          {"Đăng nhập", "Sign in"},
	"login.login":          {"Tên đăng nhập, số định danh cá nhân hoặc mã số doanh nghiệp", "Username, citizen ID number or enterprise code"},
	"login.password":       {"Mật khẩu", "Password"},
	"login.submit":         {"Đăng nhập", "Sign in"},
	"login.oidc":           {"Đăng nhập bằng", "Sign in with"},
	"login.or":             {"hoặc", "or"},
	"totp.title":           {"Xác thực hai lớp", "Two-step verification"},
	"totp.code":            {"Mã 6 chữ số trong ứng dụng xác thực", "6-digit code from your authenticator app"},
	"totp.submit":          {"Xác nhận", "Verify"},
	"enrol.title":          {"Thiết lập xác thực hai lớp", "Set up two-step verification"},
	"enrol.required":       {"Tài khoản quản trị bắt buộc dùng xác thực hai lớp. Quét mã hoặc nhập khóa bí mật dưới đây vào ứng dụng xác thực (Google Authenticator, Microsoft Authenticator, FreeOTP…), rồi nhập mã 6 chữ số để xác nhận.", "Administrator accounts must use two-step verification. Scan the code or type the secret key below into an authenticator app, then enter the 6-digit code to confirm."},
	"enrol.optional":       {"Bảo vệ tài khoản bằng mã từ ứng dụng xác thực trên điện thoại.", "Protect your account with codes from an authenticator app on your phone."},
	"enrol.secret":         {"Khóa bí mật", "Secret key"},
	"enrol.submit":         {"Kích hoạt", "Activate"},
	"enrol.done":           {"Đã bật xác thực hai lớp.", "Two-step verification is on."},
	"account.title":        {"Tài khoản của tôi", "My account"},
	"account.profile":      {"Thông tin liên hệ", "Contact details"},
	"account.name":         {"Họ và tên", "Full name"},
	"account.email":        {"Thư điện tử", "E-mail"},
	"account.phone":        {"Số điện thoại", "Phone"},
	"account.save":         {"Lưu", "Save"},
	"account.password":     {"Đổi mật khẩu", "Change password"},
	"account.current":      {"Mật khẩu hiện tại", "Current password"},
	"account.new":          {"Mật khẩu mới (ít nhất 10 ký tự, có chữ và số)", "New password (at least 10 characters, letters and digits)"},
	"account.sessions":     {"Các phiên đăng nhập", "Signed-in sessions"},
	"account.logoutall":    {"Đăng xuất khỏi mọi thiết bị", "Sign out everywhere"},
	"account.tokens":       {"Mã truy cập cho hệ thống (API)", "Access tokens for systems (API)"},
	"account.token.name":   {"Tên hệ thống dùng mã", "Name of the system using it"},
	"account.token.create": {"Cấp mã mới", "Create token"},
	"account.token.once":   {"Đây là lần duy nhất mã được hiển thị. Hãy sao chép và lưu ở nơi an toàn.", "This is the only time the token is shown. Copy it and keep it safe."},
	"account.token.revoke": {"Thu hồi", "Revoke"},
	"account.totp":         {"Xác thực hai lớp", "Two-step verification"},
	"account.totp.on":      {"Đang bật", "On"},
	"account.totp.off":     {"Chưa bật", "Off"},
	"account.totp.setup":   {"Thiết lập", "Set up"},
	"account.roles":        {"Vai trò", "Roles"},
	"common.created":       {"Tạo lúc", "Created"},
	"common.lastseen":      {"Hoạt động gần nhất", "Last active"},
	"common.expires":       {"Hết hạn", "Expires"},
	"common.status":        {"Trạng thái", "Status"},
	"common.revoked":       {"Đã thu hồi", "Revoked"},
	"common.active":        {"Đang dùng", "Active"},
	"common.never":         {"Chưa dùng", "Never used"},
	"common.lastused":      {"Dùng gần nhất", "Last used"},
	"common.confirm":       {"Bạn chắc chắn?", "Are you sure?"},
	"common.search":        {"Tìm kiếm", "Search"},
	"common.next":          {"Trang sau", "Next page"},
	"common.save":          {"Lưu", "Save"},
	"common.cancel":        {"Hủy", "Cancel"},
	"common.edit":          {"Sửa", "Edit"},
	"common.create":        {"Thêm mới", "Create"},
	"common.none":          {"Không có dữ liệu.", "Nothing to show."},
	"error.title":          {"Có lỗi xảy ra", "Something went wrong"},
	"error.notfound":       {"Không tìm thấy trang bạn cần.", "The page you asked for does not exist."},
	"footer.text":          {"Cổng số — phần mềm mã nguồn mở. Dữ liệu đơn vị hành chính: giấy phép MIT.", "Cổng số — open-source software. Administrative-unit data: MIT licence."},
	"demo.banner":          {"Bản trình diễn: dữ liệu mẫu, không dùng cho hồ sơ thật.", "Demo: sample data, not for real dossiers."},
}

// translate returns the message in the language, falling back to the key.
func translate(lang, key string) string {
	var m [2]string
	found := false
	for _, catalog := range [...]map[string][2]string{messages, adminMessages, catalogMessages, deskMessages, estoreMessages,
		paymentMessages, notifyMessages, ratingMessages, portalMessages} {
		if m, found = catalog[key]; found {
			break
		}
	}
	if !found {
		return key
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}
